"""Malformed Modbus TCP traffic at one chargebridge listener while a well-behaved pymodbus client
polls another; prints one JSON object of what happened. Bounded: --frames frames, --lifetime s.

Usage: fuzz_frames.py --fuzz-port A --good-port B [--frames 10000] [--seed 7]
"""
import argparse
import json
import random
import socket
import struct
import threading
import time

from pymodbus.client import ModbusTcpClient


def mbap(tid, pdu, unit=255, length=None, protocol=0):
    return struct.pack(">HHHB", tid, protocol, len(pdu) + 1 if length is None else length, unit) + pdu


def exchange(port, frame, timeout=1.0):
    """Sends one frame on a fresh connection and returns the reply bytes (b'' if closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(frame)
        try:
            return sock.recv(260)
        except socket.timeout:
            return None


def random_frame(rng, tid):
    kind = rng.randrange(7)
    if kind == 0:      # pure noise
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if kind == 1:      # valid header, random PDU
        return mbap(tid, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 250))))
    if kind == 2:      # read with random address/count
        return mbap(tid, struct.pack(">BHH", rng.choice([3, 4]), rng.randrange(65536), rng.randrange(65536)))
    if kind == 3:      # write multiple with an inconsistent byte count
        count = rng.randrange(1, 130)
        return mbap(tid, struct.pack(">BHHB", 16, rng.randrange(65536), count, rng.randrange(256)) + bytes(rng.randrange(0, 40)))
    if kind == 4:      # lying length field
        return mbap(tid, struct.pack(">BHH", 4, 1000, 2), length=rng.choice([0, 1, 255, 300, 65535]))
    if kind == 5:      # wrong protocol id
        return mbap(tid, struct.pack(">BHH", 4, 1000, 2), protocol=rng.randrange(1, 65536))
    return mbap(tid, struct.pack(">BHH", rng.choice([1, 2, 5, 15, 0x2B, 0x7F, 0x80]), 0, 1))   # unsupported function


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fuzz-port", type=int, required=True)
    parser.add_argument("--good-port", type=int, required=True)
    parser.add_argument("--frames", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = {"good_polls": 0, "good_errors": 0, "good_latencies_ms": []}
    done = threading.Event()

    def good_client():
        client = ModbusTcpClient("127.0.0.1", port=args.good_port, timeout=3, retries=0)
        client.connect()
        while not done.is_set():
            started = time.monotonic()
            try:
                reply = client.read_input_registers(1008, count=10, device_id=255)
                ok = not reply.isError() and len(reply.registers) == 10
            except Exception:   # noqa: BLE001 - any failure counts
                ok = False
            out["good_latencies_ms"].append((time.monotonic() - started) * 1000)
            out["good_polls"] += 1
            if not ok:
                out["good_errors"] += 1
                client.close()
                client.connect()
            time.sleep(0.005)
        client.close()

    poller = threading.Thread(target=good_client)
    poller.start()
    deadline = time.monotonic() + args.lifetime
    sent = closed = 0
    sock = None
    while sent < args.frames and time.monotonic() < deadline:
        if sock is None:
            sock = socket.create_connection(("127.0.0.1", args.fuzz_port), timeout=2)
        try:
            sock.sendall(random_frame(rng, sent & 0xFFFF))
            sent += 1
            if sent % 50 == 0:   # drain replies so our receive buffer never fills
                sock.setblocking(False)
                try:
                    while sock.recv(65536):
                        pass
                except (BlockingIOError, OSError):
                    pass
                sock.setblocking(True)
        except OSError:
            closed += 1
            sock.close()
            sock = None
    if sock:
        sock.close()

    # A slow client: half a frame, then silence; the bridge must drop it.
    slow = socket.create_connection(("127.0.0.1", args.fuzz_port), timeout=60)
    slow.sendall(mbap(1, struct.pack(">BHH", 4, 1000, 2))[:5])
    started = time.monotonic()
    try:
        out["slow_client_reply"] = slow.recv(10).hex()
    except OSError as error:
        out["slow_client_reply"] = str(error)
    out["slow_client_dropped_after_s"] = round(time.monotonic() - started, 2)
    slow.close()

    # Exception codes on a clean connection each.
    def exception_of(reply):
        return reply[8] if reply and len(reply) >= 9 and reply[7] & 0x80 else None
    out["exception_unknown_address"] = exception_of(exchange(args.fuzz_port, mbap(1, struct.pack(">BHH", 4, 3000, 1))))
    out["exception_bad_value"] = exception_of(exchange(args.fuzz_port, mbap(2, struct.pack(">BHH", 6, 5004, 3))))
    out["exception_bad_function"] = exception_of(exchange(args.fuzz_port, mbap(3, struct.pack(">BHH", 1, 0, 1))))
    out["exception_bad_count"] = exception_of(exchange(args.fuzz_port, mbap(4, struct.pack(">BHH", 4, 1000, 200))))
    ok_reply = exchange(args.fuzz_port, mbap(5, struct.pack(">BHH", 4, 1000, 2)))
    out["fuzz_listener_still_answers"] = bool(ok_reply) and ok_reply[7] == 4

    done.set()
    poller.join()
    latencies = sorted(out.pop("good_latencies_ms"))
    out["frames_sent"] = sent
    out["fuzz_connections_closed_by_bridge"] = closed
    out["good_max_latency_ms"] = round(latencies[-1], 1) if latencies else None
    out["good_p99_latency_ms"] = round(latencies[int(len(latencies) * 0.99)], 1) if latencies else None
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
