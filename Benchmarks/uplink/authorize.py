#!/usr/bin/env python3
"""Authorize round trips as an OCPP 1.6J charge point sees them (the `websockets` library and raw
JSON frames): for each id in --local and --backend, connect to the bridge (basic auth, password
= --password), boot, then send --rounds Authorize calls one after another, each with a new tag, and
time each from send to answer. The --local chargers are answered by the bridge itself; the
--backend ones wait for their CPO backend (the uplink). Prints one JSON line:
{"local": [ms...], "backend": [ms...], "statuses": {...}}.
"""
import argparse
import asyncio
import base64
import json
import time

from websockets.asyncio.client import connect


async def one(url, cp, password, rounds, times, statuses):
    secret = base64.b64encode(f"{cp}:{password}".encode()).decode()
    async with connect(url + cp, subprotocols=["ocpp1.6"], additional_headers={"Authorization": "Basic " + secret},
                       proxy=None, compression=None, ping_interval=None, open_timeout=10) as ws:
        async def call(unique, action, payload):
            await ws.send(json.dumps([2, unique, action, payload]))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                if frame[0] == 2:      # the bridge's own calls: answered, not timed
                    await ws.send(json.dumps([3, frame[1], {"status": "Accepted"} if frame[2] != "GetConfiguration" else {}]))
                elif frame[1] == unique:
                    return frame
        await call("b", "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Authorize"})
        for n in range(rounds):
            started = time.perf_counter()
            answer = await call(f"a{n}", "Authorize", {"idTag": f"{cp}-{n}"[:20]})
            times.append((time.perf_counter() - started) * 1000)
            status = answer[2].get("idTagInfo", {}).get("status") if answer[0] == 3 else "CALLERROR"
            statuses[status] = statuses.get(status, 0) + 1


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--local", nargs="*", default=[])
    parser.add_argument("--backend", nargs="*", default=[])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    result = {"local": [], "backend": [], "statuses": {}}
    await asyncio.gather(*[one(args.url, cp, args.password, args.rounds, result["local"], result["statuses"]) for cp in args.local],
                         *[one(args.url, cp, args.password, args.rounds, result["backend"], result["statuses"]) for cp in args.backend])
    print(json.dumps(result))


asyncio.run(main())
