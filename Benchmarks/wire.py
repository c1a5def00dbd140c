"""An RS-485 line with real timing, for benchmarks: two pseudo-terminals joined by a relay that
delivers each byte only after it would have crossed the wire (start + data + parity + stop bits
at the given baud rate). socat's pty pairs alone move bytes instantly, which would make any
'poll time ÷ wire time' figure meaningless.

Usage: wire.py --baud 19200 --bits 10 --a PATH --b PATH   (prints "ready"; stops on SIGTERM or --lifetime)
"""
import argparse
import os
import select
import signal
import sys
import time
import tty


def open_end(path):
    master, slave = os.openpty()
    tty.setraw(slave)
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(os.ttyname(slave), path)
    return master, slave


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--bits", type=int, default=10, help="bits per character on the wire")
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--lifetime", type=float, default=600)
    args = parser.parse_args()
    char_time = args.bits / args.baud
    a_master, _a_slave = open_end(args.a)
    b_master, _b_slave = open_end(args.b)
    peer = {a_master: b_master, b_master: a_master}
    line_free = {a_master: 0.0, b_master: 0.0}   # half duplex per direction is enough here
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deadline = time.monotonic() + args.lifetime
    print("ready", flush=True)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([a_master, b_master], [], [], 0.5)
        for source in ready:
            try:
                data = os.read(source, 4096)
            except OSError:
                continue
            now = time.monotonic()
            start = max(now, line_free[source])
            # every byte is delivered when its last bit has been sent
            for index, byte in enumerate(data):
                arrival = start + (index + 1) * char_time
                delay = arrival - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                os.write(peer[source], bytes([byte]))
            line_free[source] = start + len(data) * char_time
    for path in (args.a, args.b):
        if os.path.islink(path):
            os.unlink(path)


if __name__ == "__main__":
    main()
