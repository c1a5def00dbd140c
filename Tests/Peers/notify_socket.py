"""A stand-in for systemd's notification socket: a Unix datagram socket at --path that prints
every message it receives as a JSON line {"message": "READY=1", "at": seconds}; exits after
--seconds. Prints "ready" once bound."""
import argparse
import json
import os
import socket
import time

parser = argparse.ArgumentParser()
parser.add_argument("--path", required=True)
parser.add_argument("--seconds", type=float, default=20)
args = parser.parse_args()
if os.path.exists(args.path):
    os.unlink(args.path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(args.path)
sock.settimeout(0.2)
print("ready", flush=True)
start = time.monotonic()
while time.monotonic() - start < args.seconds:
    try:
        data = sock.recv(4096)
    except socket.timeout:
        continue
    for line in data.decode().split("\n"):
        print(json.dumps({"message": line, "at": round(time.monotonic() - start, 3)}), flush=True)
sock.close()
os.unlink(args.path)
