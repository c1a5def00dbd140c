"""Raw Modbus TCP probes for access-control and flood tests (sockets only, no library).

write --port P [--source ADDR] [--unit U] ADDR=VALUE ...
    one connection from source address ADDR (e.g. 127.0.0.3), one write 06 each; prints
    {"answers": [null | exception code, ...]}
flood --port P --cycles N [--write] [--unit U]
    N times: connect, (write 6000 = 1 when --write), close; prints {"cycles": N, "seconds": S}
reconnect --port P --source ADDR --tries N [--flood-source ADDR2 --flood-workers W]
    N times: connect from ADDR, write 6000 = 1, then 5004 = 10 on the same connection, close; an
    attempt counts as master when both writes are answered normally. Meanwhile W threads connect
    and close from ADDR2 as fast as they can. Prints {"tries", "mastered", "first_write_ms_p50",
    "first_write_ms_p99", "flood_cycles"}
hold --port P --count N --seconds S
    opens N connections (as many as the server accepts) and keeps them for S seconds; prints
    {"opened": n}
"""
import argparse
import json
import socket
import struct
import sys
import threading
import time


def frame(transaction, unit, address, value):
    pdu = struct.pack(">BHH", 6, address, value)
    return struct.pack(">HHHB", transaction, 0, len(pdu) + 1, unit) + pdu


def connect(port, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    if source:
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def answer(sock):
    head = b""
    while len(head) < 7:
        chunk = sock.recv(7 - len(head))
        if not chunk:
            raise ConnectionError("closed")
        head += chunk
    length = struct.unpack(">H", head[4:6])[0]
    body = b""
    while len(body) < length - 1:
        chunk = sock.recv(length - 1 - len(body))
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    return None if body[0] < 0x80 else body[1]


def flood(port, source, stop, counter):
    while not stop.is_set():
        try:
            connect(port, source).close()
            counter.append(1)
        except OSError:
            time.sleep(0.001)


def reconnect(args):
    stop, counter = threading.Event(), []
    workers = [threading.Thread(target=flood, args=(args.port, args.flood_source, stop, counter))
               for _ in range(args.flood_workers if args.flood_source else 0)]
    for worker in workers:
        worker.start()
    time.sleep(0.2 if workers else 0)
    mastered, latencies = 0, []
    try:
        for attempt in range(args.tries):
            try:
                start = time.monotonic()
                sock = connect(args.port, args.source)
                sock.sendall(frame(2 * attempt + 1, args.unit, 6000, 1))
                first = answer(sock)
                latencies.append((time.monotonic() - start) * 1000)
                time.sleep(0.05)
                sock.sendall(frame(2 * attempt + 2, args.unit, 5004, 10))
                second = answer(sock)
                sock.close()
                mastered += first is None and second is None
            except OSError:
                pass
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    latencies.sort()
    def quantile(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None
    return {"tries": args.tries, "mastered": mastered, "first_write_ms_p50": quantile(0.5),
            "first_write_ms_p99": quantile(0.99), "flood_cycles": len(counter)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["write", "flood", "hold", "reconnect"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--source")
    parser.add_argument("--unit", type=int, default=255)
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--tries", type=int, default=40)
    parser.add_argument("--flood-source")
    parser.add_argument("--flood-workers", type=int, default=3)
    parser.add_argument("writes", nargs="*")
    args = parser.parse_intermixed_args()
    if args.command == "write":
        sock = connect(args.port, args.source)
        answers = []
        for index, item in enumerate(args.writes):
            address, value = (int(x) for x in item.split("="))
            sock.sendall(frame(index + 1, args.unit, address, value))
            answers.append(answer(sock))
        sock.close()
        print(json.dumps({"answers": answers}))
    elif args.command == "reconnect":
        print(json.dumps(reconnect(args)))
    elif args.command == "flood":
        start = time.monotonic()
        failed = 0
        for cycle in range(args.cycles):
            try:
                sock = connect(args.port)
                if args.write:
                    sock.sendall(frame(cycle % 60000 + 1, args.unit, 6000, 1))
                    answer(sock)
                sock.close()
            except OSError:
                failed += 1
        print(json.dumps({"cycles": args.cycles, "failed": failed, "seconds": round(time.monotonic() - start, 2)}))
    else:
        held = []
        for _ in range(args.count):
            try:
                held.append(connect(args.port))
            except OSError:
                break
        print(json.dumps({"opened": len(held)}), flush=True)
        time.sleep(args.seconds)
        for sock in held:
            sock.close()


if __name__ == "__main__":
    sys.exit(main())
