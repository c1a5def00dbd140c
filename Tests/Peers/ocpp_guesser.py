"""WebSocket upgrades to an OCPP central system that guess ids or passwords (raw HTTP, asyncio).

--url ws://127.0.0.1:P/ocpp --id ID [--password PW | --wrong-passwords | --unknown-ids]
      [--source ADDR] [--count N | --seconds S] [--parallel K] [--timeout T]
    N attempts (or attempts for S seconds), at most K at once, each given up after T seconds:
    the id ID with the password PW, with wrong passwords (wrong-1, wrong-2, ...), or unknown ids
    (ID-1, ID-2, ... with PW). Prints {"statuses": {"404": n, ...}, "timeouts": n, "errors": n,
    "attempts": n, "seconds": s}; a status is the first line of the server's answer (101: upgraded).
"""
import argparse
import asyncio
import base64
import json
import os
import time
from urllib.parse import urlparse


async def attempt(url, source, cp_id, password, timeout):
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(url.hostname, url.port, local_addr=(source, 0) if source else None), timeout)
        auth = base64.b64encode(f"{cp_id}:{password}".encode()).decode()
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {url.path.rstrip('/')}/{cp_id} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
                      f"Authorization: Basic {auth}\r\n\r\n").encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        parts = line.split()
        return parts[1].decode() if len(parts) >= 2 else "closed"
    except asyncio.TimeoutError:
        return "timeout"
    except OSError:
        return "error"
    finally:
        if writer:
            writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--password", default="not-a-password")
    parser.add_argument("--wrong-passwords", action="store_true")
    parser.add_argument("--unknown-ids", action="store_true")
    parser.add_argument("--source")
    parser.add_argument("--count", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=5)
    args = parser.parse_args()
    url = urlparse(args.url)
    started = time.monotonic()
    results = []
    counter = iter(range(1, 10**9))

    async def worker():
        while True:
            index = next(counter)
            if args.count is not None and index > args.count:
                return
            if args.seconds is not None and time.monotonic() - started >= args.seconds:
                return
            cp_id = f"{args.id}-{index}" if args.unknown_ids else args.id
            password = f"wrong-{index}-password" if args.wrong_passwords else args.password
            results.append(await attempt(url, args.source, cp_id, password, args.timeout))

    await asyncio.gather(*(worker() for _ in range(args.parallel)))
    statuses = {}
    for result in results:
        if result not in ("timeout", "error"):
            statuses[result] = statuses.get(result, 0) + 1
    print(json.dumps({"statuses": statuses, "timeouts": results.count("timeout"), "errors": results.count("error"),
                      "attempts": len(results), "seconds": round(time.monotonic() - started, 3)}), flush=True)


asyncio.run(main())
