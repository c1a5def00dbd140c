#!/usr/bin/env python3
"""A CPO backend: an OCPP 1.6J central system built on the `ocpp` library (mobilityhouse, not
written by us) and `websockets`, for the bridge's uplink (a forwarded charger is a charge point).

Usage: ocpp_backend.py [--port 0] [--password PW] [--heartbeat 60] [--first-transaction 1]
           [--refuse TAG ...] [--commands FILE] [--lifetime 120] [--cert PEM --key PEM]

Listens on 127.0.0.1 (ws://127.0.0.1:PORT/<any path>/<charge point id>; wss:// with --cert and
--key), subprotocol "ocpp1.6";
with --password it requires HTTP basic auth (user = the charge point id) and answers 401 otherwise.
Answers BootNotification (Accepted, --heartbeat), Heartbeat, StatusNotification, MeterValues,
Authorize (Invalid for a --refuse tag), StartTransaction (ids from --first-transaction on),
StopTransaction.

Stdout, one JSON object a line:
  {"event":"listening","port":N}
  {"event":"connected","cp":ID}  {"event":"closed","cp":ID}
  {"event":"refused","status":401}
  {"event":"message","cp":ID,"t":UNIX,"message":[...]}   every OCPP-J message the charge point sent
  {"event":"answer","cmd":C,"cp":ID,"sent":UNIX,"answered":UNIX,"payload":{...}}  or "error":E
--commands FILE, one JSON command a line, appended by the test (read every 20 ms; sent to a
connected charge point):
  {"cmd":"remote_start","cp":ID,"id_tag":T}
  {"cmd":"remote_stop","cp":ID,"transaction_id":N}
  {"cmd":"set_profile","cp":ID,"connector_id":C,"profile":{OCPP csChargingProfiles, camelCase}}
  {"cmd":"clear_profile","cp":ID,"id":N}
  {"cmd":"get_configuration","cp":ID}
  {"cmd":"reset","cp":ID,"type":"Hard"|"Soft"}
  {"cmd":"disconnect","cp":ID}
Stops on SIGTERM/SIGINT, and after --lifetime seconds in any case.
"""
import argparse
import asyncio
import base64
import json
import logging
import signal
import ssl
import time
from datetime import datetime, timezone

from websockets.asyncio.server import serve
from websockets.http11 import Response
from websockets.datastructures import Headers

from ocpp.routing import on
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

logging.basicConfig(level=logging.CRITICAL)


def emit(**fields):
    print(json.dumps(fields), flush=True)


def now_iso():
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class Backend(OcppChargePoint):
    args = None
    next_transaction = 1

    async def route_message(self, raw):
        try:
            emit(event="message", cp=self.id, t=time.time(), message=json.loads(raw))
        except ValueError:
            emit(event="bad_message", cp=self.id, raw=raw[:200])
        return await super().route_message(raw)

    @on(Action.boot_notification)
    def boot(self, **_):
        return call_result.BootNotification(current_time=now_iso(), interval=self.args.heartbeat, status="Accepted")

    @on(Action.heartbeat)
    def heartbeat(self, **_):
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    def status(self, **_):
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def meter_values(self, **_):
        return call_result.MeterValues()

    @on(Action.authorize)
    def authorize(self, id_tag, **_):
        return call_result.Authorize(id_tag_info={"status": "Invalid" if id_tag in self.args.refuse else "Accepted"})

    @on(Action.start_transaction)
    def start_transaction(self, id_tag, **_):
        number = Backend.next_transaction
        Backend.next_transaction += 1
        return call_result.StartTransaction(transaction_id=number,
                                            id_tag_info={"status": "Invalid" if id_tag in self.args.refuse else "Accepted"})

    @on(Action.stop_transaction)
    def stop_transaction(self, **_):
        return call_result.StopTransaction()


connections = {}


async def command(line):
    try:
        request = json.loads(line)
    except ValueError:
        emit(event="bad_command", line=line[:200])
        return
    cp = connections.get(request.get("cp"))
    name = request.get("cmd")
    if cp is None:
        emit(event="answer", cmd=name, cp=request.get("cp"), error="not connected")
        return
    if name == "disconnect":
        await cp._connection.close()
        return
    calls = {
        "remote_start": lambda: call.RemoteStartTransaction(id_tag=request.get("id_tag", "REMOTE"), connector_id=1),
        "remote_stop": lambda: call.RemoteStopTransaction(transaction_id=request["transaction_id"]),
        "set_profile": lambda: call.SetChargingProfile(connector_id=request.get("connector_id", 1), cs_charging_profiles=request["profile"]),
        "clear_profile": lambda: call.ClearChargingProfile(id=request.get("id")),
        "get_configuration": lambda: call.GetConfiguration(),
        "reset": lambda: call.Reset(type=request.get("type", "Soft")),
    }
    if name not in calls:
        emit(event="answer", cmd=name, cp=cp.id, error="unknown command")
        return
    sent = time.time()
    try:
        result = await cp.call(calls[name]())
        emit(event="answer", cmd=name, cp=cp.id, sent=sent, answered=time.time(), payload=result.__dict__)
    except Exception as error:  # the answer, whatever went wrong, is what the test looks at
        emit(event="answer", cmd=name, cp=cp.id, sent=sent, answered=time.time(), error=repr(error))


async def read_commands(path):
    done = 0
    while True:
        await asyncio.sleep(0.02)
        try:
            with open(path) as handle:
                lines = handle.read().split("\n")
        except OSError:
            continue
        # the last piece may be a line still being written
        for line in lines[done:-1]:
            if line.strip():
                asyncio.ensure_future(command(line.strip()))
        done = max(done, len(lines) - 1)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--password")
    parser.add_argument("--heartbeat", type=int, default=60)
    parser.add_argument("--first-transaction", type=int, default=1)
    parser.add_argument("--refuse", nargs="*", default=[])
    parser.add_argument("--commands")
    parser.add_argument("--lifetime", type=float, default=120)
    parser.add_argument("--cert", help="server certificate (PEM): wss://")
    parser.add_argument("--key", help="the server certificate's key (PEM)")
    args = parser.parse_args()
    tls = None
    if args.cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
    Backend.args = args
    Backend.next_transaction = args.first_transaction

    def check(connection, request):
        if not args.password:
            return None
        cp_id = request.path.rstrip("/").split("/")[-1]
        expected = "Basic " + base64.b64encode(f"{cp_id}:{args.password}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            emit(event="refused", status=401)
            return Response(401, "Unauthorized", Headers([("WWW-Authenticate", "Basic")]), b"")
        return None

    async def handler(websocket):
        cp_id = websocket.request.path.rstrip("/").split("/")[-1]
        if websocket.subprotocol != "ocpp1.6":
            emit(event="no_subprotocol", cp=cp_id)
            await websocket.close(1002)
            return
        cp = Backend(cp_id, websocket)
        connections[cp_id] = cp
        emit(event="connected", cp=cp_id)
        try:
            await cp.start()
        except Exception:
            pass
        finally:
            if connections.get(cp_id) is cp:
                del connections[cp_id]
            emit(event="closed", cp=cp_id)

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(handler, "127.0.0.1", args.port, subprotocols=["ocpp1.6"], process_request=check, ssl=tls) as server:
        emit(event="listening", port=server.sockets[0].getsockname()[1])
        if args.commands:
            asyncio.ensure_future(read_commands(args.commands))
        try:
            await asyncio.wait_for(stop, timeout=args.lifetime)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
