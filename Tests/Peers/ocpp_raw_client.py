#!/usr/bin/env python3
"""A raw WebSocket client (the `websockets` library, no OCPP library) for bad-input tests of an
OCPP 1.6J central system: it sends text frames exactly as written and reports what came back.

Usage: ocpp_raw_client.py --url ws://127.0.0.1:PORT/ocpp/CP1 [--password PW] [--cafile CA.pem]
           [--frames FILE] [--wait 2] [--oversize N] [--reconnect] [--subprotocol ocpp1.6|none]
           [--lifetime 60]

FILE holds one frame per line, sent as is (the line without its newline; blank lines skipped).
After each frame the client waits up to --wait s for the first message that is not a CALL from
the server (a CALLRESULT, a CALLERROR or anything unparsable), or for the close, and prints:
  {"sent": "<first 60 chars>", "reply": "<text>"|null, "closed": <close code>|null}
with "close_reason" when closed, and "server_calls": [...] when the server sent CALLs meanwhile.
Once the server has closed, later frames print {"sent":..., "reply":null, "closed":code,
"skipped":true}, unless --reconnect (then a new connection carries on with the next frame).
--oversize N (after the frames, if any) sends one text frame of exactly N bytes, an OCPP
Heartbeat CALL padded with a string, and prints {"sent":..., "bytes":N, "reply":..., "closed":...}.
A refused handshake prints {"refused": <HTTP status>} (exit 0); another connection failure prints
{"error": "..."} (exit 1). Basic auth user = the last path segment of the URL.
"""
import argparse
import asyncio
import base64
import json
import ssl
import sys
import time
from urllib.parse import unquote, urlparse

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus


def emit(obj):
    print(json.dumps(obj), flush=True)


def close_info(ws, error=None):
    if error is not None and getattr(error, "rcvd", None) is not None:
        return error.rcvd.code, error.rcvd.reason
    if ws.close_code is not None:
        return ws.close_code, ws.close_reason or ""
    return 1006, ""


def is_server_call(text):
    try:
        message = json.loads(text)
    except (ValueError, TypeError):
        return False
    return isinstance(message, list) and len(message) >= 3 and message[0] == 2


class Client:
    def __init__(self, args):
        self.args = args
        parsed = urlparse(args.url)
        cp_id = unquote(parsed.path.rstrip("/").rsplit("/", 1)[-1])
        self.headers = {}
        if args.password is not None:
            token = base64.b64encode(f"{cp_id}:{args.password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self.ssl = ssl.create_default_context(cafile=args.cafile) if parsed.scheme == "wss" else None
        self.subprotocols = None if args.subprotocol == "none" else [args.subprotocol]
        self.ws = None

    async def open(self):
        """True when open; otherwise prints the refusal/error and returns False."""
        try:
            self.ws = await connect(self.args.url, subprotocols=self.subprotocols,
                                    additional_headers=self.headers, ssl=self.ssl, proxy=None,
                                    compression=None, ping_interval=None, max_size=None,
                                    open_timeout=5)
            return True
        except InvalidStatus as error:
            emit({"refused": error.response.status_code})
            self.failure = 0
        except (OSError, InvalidHandshake, asyncio.TimeoutError, EOFError) as error:
            emit({"error": f"{type(error).__name__}: {error}"})
            self.failure = 1
        return False

    async def exchange(self, text, extra=None):
        """Send one frame, wait for its reply or the close; returns the report."""
        report = {"sent": text[:60]}
        report.update(extra or {})
        report.update({"reply": None, "closed": None})
        calls = []
        try:
            await self.ws.send(text)
            deadline = time.monotonic() + self.args.wait
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    message = await asyncio.wait_for(self.ws.recv(), timeout=left)
                except asyncio.TimeoutError:
                    break
                if isinstance(message, bytes):
                    message = message.decode("utf-8", "replace")
                if is_server_call(message):
                    calls.append(message)
                    continue
                report["reply"] = message
                break
        except ConnectionClosed as error:
            report["closed"], report["close_reason"] = close_info(self.ws, error)
        if report["closed"] is None and self.ws.close_code is not None:
            report["closed"], report["close_reason"] = close_info(self.ws)
        if calls:
            report["server_calls"] = calls
        return report


def oversize_frame(size):
    head, tail = '[2,"oversize-1","Heartbeat",{"pad":"', '"}]'
    if size <= len(head) + len(tail):
        return "x" * size
    return head + "x" * (size - len(head) - len(tail)) + tail


async def run(args):
    frames = []
    if args.frames:
        with open(args.frames, encoding="utf-8") as handle:
            frames = [line.rstrip("\r\n") for line in handle]
        frames = [f for f in frames if f.strip()]
    client = Client(args)
    if not await client.open():
        return client.failure
    closed = None
    jobs = [(f, None) for f in frames]
    if args.oversize is not None:
        jobs.append((oversize_frame(args.oversize), {"bytes": args.oversize}))
    for text, extra in jobs:
        if closed is not None and args.reconnect:
            if not await client.open():
                return client.failure
            closed = None
        if closed is not None:
            report = {"sent": text[:60], **(extra or {}), "reply": None, "closed": closed[0],
                      "close_reason": closed[1], "skipped": True}
        else:
            report = await client.exchange(text, extra)
            if report["closed"] is not None:
                closed = (report["closed"], report.get("close_reason", ""))
        emit(report)
    if closed is None:
        await client.ws.close(1000)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--password")
    parser.add_argument("--cafile")
    parser.add_argument("--frames")
    parser.add_argument("--wait", type=float, default=2.0)
    parser.add_argument("--oversize", type=int)
    parser.add_argument("--reconnect", action="store_true")
    parser.add_argument("--subprotocol", default="ocpp1.6", help='"none" offers no subprotocol')
    parser.add_argument("--lifetime", type=float, default=60.0, help="hard bound on the whole run")
    args = parser.parse_args()
    if not args.frames and args.oversize is None:
        parser.error("give --frames FILE and/or --oversize N")
    try:
        code = asyncio.run(asyncio.wait_for(run(args), timeout=args.lifetime))
    except asyncio.TimeoutError:
        emit({"error": f"lifetime {args.lifetime}s exceeded"})
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
