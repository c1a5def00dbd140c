#!/usr/bin/env python3
"""OCPP 1.6J or 2.0.1 load: N simulated charge points in one asyncio process (the `websockets` library and
raw JSON frames, not the ocpp library, for speed), against a central system such as chargebridge.

Usage: load.py --url-base ws://127.0.0.1:PORT/ocpp/ --ids-prefix CP --count 1000
               --meter-interval 1 --seconds 20 [--password-prefix pw] [--cafile CA.pem]
               [--modbus-port P --modbus-units 1..N] [--samples 100] [--connect-timeout 60]
               [--concurrency 50] [--version 1.6|2.0.1]

Charge point i (1..count) connects to url-base + prefix + i with subprotocol ocpp1.6 (basic auth
user = its id, password = password-prefix + i when given), sends BootNotification, then
StatusNotification Charging (connector 1), then MeterValues every --meter-interval s, the N
charge points spread evenly over the interval. CALLs from the server get a CALLRESULT
{"status":"Accepted"} (GetConfiguration: {"configurationKey":[],"unknownKey":[]}).
With --version 2.0.1 the same in 2.0.1's fields (subprotocol ocpp2.0.1): BootNotification
(reason PowerUp), StatusNotification Occupied (EVSE 1), MeterValues on EVSE 1; GetVariables and
SetVariables are answered with empty result lists, other CALLs {"status":"Accepted"}, and the
limit is read from chargingProfile.chargingSchedule[0].
Rates count the --seconds window that starts once all are connected; answers to MeterValues
sent in the window are counted until 2 s after it.

EMS latency (with --modbus-port): --samples times, pick a random unit k of --modbus-units
("a..b", "a,b,c" or one number; default 1..min(count, 247)) -- unit k is charge point k --, write
6000=1 (alive) then 5004=value (10 and 6 alternating per charge point, starting with the one the
charge point does not already have) with pymodbus, and time from just before the 5004 write until
charge point k receives a SetChargingProfile whose first period's limit (W turned to A by
230 V x numberPhases, 3 when absent) equals the value. Each wait is bounded by 2 s (ems_timeouts).
The EMS samples run while the meter load goes on (the load runs on until they are done).

Stdout: one JSON object: {"connected", "connect_s", "meter_values_sent_per_s",
"meter_values_answered_per_s", "answer_ms_p50", "answer_ms_p99", "ems_to_profile_ms_p50",
"ems_to_profile_ms_p99", "ems_samples", ...}; progress and errors go to stderr.
"""
import argparse
import asyncio
import base64
import json
import logging
import random
import resource
import signal
import ssl
import sys
import time
from datetime import datetime, timezone

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

VOLTS = 230.0
GRACE_S = 2.0
EMS_WAIT_S = 2.0


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def pct(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * p)))], 3)


def stamp():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def profile_amps(payload):
    """The limit (A) of the first period of a SetChargingProfile payload (1.6 or 2.0.1), or None."""
    try:
        if "chargingProfile" in payload:
            schedule = payload["chargingProfile"]["chargingSchedule"][0]
        else:
            schedule = payload["csChargingProfiles"]["chargingSchedule"]
        periods = sorted(schedule["chargingSchedulePeriod"], key=lambda p: p.get("startPeriod", 0))
        limit = float(periods[0]["limit"])
        if schedule.get("chargingRateUnit") == "W":
            limit /= VOLTS * (periods[0].get("numberPhases") or 3)
        return limit
    except (KeyError, IndexError, TypeError, ValueError):
        return None


class Stats:
    def __init__(self):
        self.window = None          # (start, end) monotonic of the measured window
        self.sent = 0
        self.answered = 0
        self.call_errors = 0
        self.answer_ms = []
        self.server_calls = {}
        self.closed = 0

    def in_window(self, t):
        return self.window is not None and self.window[0] <= t < self.window[1]


class SimCP:
    def __init__(self, index, args, stats):
        self.index = index
        self.id = f"{args.ids_prefix}{index}"
        self.args = args
        self.stats = stats
        self.ws = None
        self.reader = None
        self.pending = {}           # unique id -> (sent time, counted in window)
        self.seq = 0
        self.booted = None          # future of the BootNotification answer
        self.last_limit = None
        self.waiter = None          # (value, future) of the EMS sample in progress
        self.energy_wh = 1000.0 * index

    def next_id(self, kind):
        self.seq += 1
        return f"{kind}{self.seq}"

    async def open(self, ssl_ctx):
        headers = {}
        if self.args.password_prefix is not None:
            secret = f"{self.id}:{self.args.password_prefix}{self.index}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(secret).decode()
        v201 = self.args.version == "2.0.1"
        self.ws = await connect(self.args.url_base + self.id, subprotocols=["ocpp2.0.1" if v201 else "ocpp1.6"],
                                additional_headers=headers, ssl=ssl_ctx, proxy=None,
                                compression=None, ping_interval=None, open_timeout=10,
                                close_timeout=2, max_size=2 ** 20)
        self.booted = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self.read())
        boot_id = self.next_id("b")
        self.pending[boot_id] = (time.perf_counter(), False)
        boot = {"reason": "PowerUp", "chargingStation": {"model": "SimCP", "vendorName": "LoadTest"}} if v201 \
            else {"chargePointVendor": "LoadTest", "chargePointModel": "SimCP"}
        await self.ws.send(json.dumps([2, boot_id, "BootNotification", boot]))
        await asyncio.wait_for(asyncio.shield(self.booted), timeout=10)
        status_id = self.next_id("s")
        self.pending[status_id] = (time.perf_counter(), False)
        status = {"timestamp": stamp(), "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1} if v201 \
            else {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": stamp()}
        await self.ws.send(json.dumps([2, status_id, "StatusNotification", status]))

    async def read(self):
        stats = self.stats
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                try:
                    message = json.loads(raw)
                    kind, unique_id = message[0], message[1]
                except (ValueError, TypeError, IndexError, KeyError):
                    continue
                if kind in (3, 4):
                    entry = self.pending.pop(unique_id, None)
                    if entry is None:
                        continue
                    if unique_id.startswith("b") and not self.booted.done():
                        self.booted.set_result(message)
                    if entry[1]:
                        stats.answered += 1
                        stats.answer_ms.append((now - entry[0]) * 1000)
                        if kind == 4:
                            stats.call_errors += 1
                elif kind == 2 and len(message) >= 4:
                    action, payload = message[2], message[3]
                    stats.server_calls[action] = stats.server_calls.get(action, 0) + 1
                    if action == "GetConfiguration":
                        result = {"configurationKey": [], "unknownKey": []}
                    elif action == "GetVariables":
                        result = {"getVariableResult": []}
                    elif action == "SetVariables":
                        result = {"setVariableResult": []}
                    else:
                        result = {"status": "Accepted"}
                    await self.ws.send(json.dumps([3, unique_id, result]))
                    if action == "SetChargingProfile" and isinstance(payload, dict):
                        amps = profile_amps(payload)
                        if amps is not None:
                            self.last_limit = amps
                            if self.waiter is not None and abs(amps - self.waiter[0]) < 0.05 \
                                    and not self.waiter[1].done():
                                self.waiter[1].set_result(now)
        except ConnectionClosed:
            pass
        finally:
            if stats.window is not None:
                stats.closed += 1
            if self.booted is not None and not self.booted.done():
                self.booted.set_exception(ConnectionError("closed before the boot answer"))

    def meter_frame(self, unique_id):
        amps = self.last_limit if self.last_limit is not None else 16.0
        self.energy_wh += amps * VOLTS * 3 * self.args.meter_interval / 3600
        if self.args.version == "2.0.1":
            def sample(value, measurand, unit, phase=None):
                item = {"value": round(value, 1), "measurand": measurand, "unitOfMeasure": {"unit": unit}}
                if phase:
                    item["phase"] = phase
                return item
            return json.dumps([2, unique_id, "MeterValues", {"evseId": 1, "meterValue": [{
                "timestamp": stamp(), "sampledValue": [
                    sample(amps, "Current.Import", "A", "L1"), sample(amps, "Current.Import", "A", "L2"),
                    sample(amps, "Current.Import", "A", "L3"), sample(amps * VOLTS * 3, "Power.Active.Import", "W"),
                    sample(self.energy_wh, "Energy.Active.Import.Register", "Wh")]}]}])
        current = f"{amps:.1f}"
        return json.dumps([2, unique_id, "MeterValues", {"connectorId": 1, "meterValue": [{
            "timestamp": stamp(), "sampledValue": [
                {"value": current, "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": current, "measurand": "Current.Import", "phase": "L2", "unit": "A"},
                {"value": current, "measurand": "Current.Import", "phase": "L3", "unit": "A"},
                {"value": f"{amps * VOLTS * 3:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": f"{self.energy_wh:.0f}", "measurand": "Energy.Active.Import.Register",
                 "unit": "Wh"}]}]}])

    async def meter_loop(self, start, offset, stop):
        interval = self.args.meter_interval
        due = start + offset
        while not stop.is_set():
            delay = due - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                    return
                except asyncio.TimeoutError:
                    pass
            unique_id = self.next_id("m")
            counted = self.stats.in_window(time.monotonic())
            self.pending[unique_id] = (time.perf_counter(), counted)
            try:
                await self.ws.send(self.meter_frame(unique_id))
            except ConnectionClosed:
                self.pending.pop(unique_id, None)
                return
            if counted:
                self.stats.sent += 1
            due += interval
            if due < time.monotonic():       # fell behind: skip, don't burst
                due = time.monotonic() + interval

    async def close(self):
        if self.ws is not None:
            try:
                await self.ws.close(1000)
            except Exception:
                pass
        if self.reader is not None:
            self.reader.cancel()


def parse_units(text, count, limit=247):
    if not text:
        return list(range(1, min(count, limit) + 1))
    units = []
    for part in text.split(","):
        part = part.strip()
        if ".." in part:
            a, b = part.split("..", 1)
            units.extend(range(int(a), int(b) + 1))
        elif part:
            units.append(int(part))
    return [u for u in units if 1 <= u <= count]


def count_limit(args):
    """Units on one gateway stop at 247; with a port per charge point every one can be sampled."""
    return 10 ** 9 if args.modbus_port_base else 247


async def ems(args, cps, units, result):
    from pymodbus.client import AsyncModbusTcpClient
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    latencies, timeouts, errors, skipped = [], 0, 0, 0
    result.update({"ems_to_profile_ms_p50": None, "ems_to_profile_ms_p99": None, "ems_samples": 0,
                   "ems_timeouts": 0, "ems_errors": 0})
    # one gateway port with a unit per charge point, or (--modbus-port-base) a port per charge point
    clients = {}

    def client_for(unit):
        port = args.modbus_port_base + unit - 1 if args.modbus_port_base else args.modbus_port
        if port not in clients:
            clients[port] = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0, reconnect_delay=0)
        return clients[port], (255 if args.modbus_port_base else unit)

    client, _ = client_for(units[0] if units else 1)

    async def write(address, value, unit):
        target, device = client_for(unit)
        if not target.connected:
            await target.connect()
        response = await asyncio.wait_for(target.write_register(address, value, device_id=device), 3)
        if response.isError():
            raise IOError(f"exception response {response}")

    written = {}
    consecutive_errors = 0
    try:
        await asyncio.wait_for(client.connect(), 3)
    except Exception as error:
        log("ems: cannot connect:", error)
    for sample in range(args.samples):
        if not units:
            break
        k = random.choice(units)
        cp = cps[k - 1]
        if cp.ws is None or cp.reader is None or cp.reader.done():
            skipped += 1
            continue
        value = 6 if written.get(k) == 10 else 10
        if cp.last_limit is not None and abs(cp.last_limit - value) < 0.05:
            value = 16 - value
        await asyncio.sleep(random.uniform(0, 0.15))   # a random moment of the bridge's control tick
        future = asyncio.get_running_loop().create_future()
        try:
            await write(6000, 1, k)
            cp.waiter = (value, future)
            start = time.perf_counter()
            await write(5004, value, k)
            written[k] = value
            consecutive_errors = 0
        except Exception as error:
            cp.waiter = None
            errors += 1
            consecutive_errors += 1
            log(f"ems: modbus write to unit {k} failed: {type(error).__name__}: {error}")
            if consecutive_errors >= 5:
                log("ems: 5 Modbus failures in a row, giving up")
                break
            try:
                for each in clients.values():
                    each.close()
            except Exception:
                pass
            continue
        try:
            arrived = await asyncio.wait_for(future, timeout=EMS_WAIT_S)
            latencies.append((arrived - start) * 1000)
        except asyncio.TimeoutError:
            timeouts += 1
        finally:
            cp.waiter = None
    try:
        for each in clients.values():
            each.close()
    except Exception:
        pass
    result.update({"ems_to_profile_ms_p50": pct(latencies, 0.5), "ems_to_profile_ms_p99": pct(latencies, 0.99),
                   "ems_samples": len(latencies), "ems_timeouts": timeouts, "ems_errors": errors,
                   "ems_skipped": skipped})


async def run(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, args.count + 256)) if hard != resource.RLIM_INFINITY else args.count + 256
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    ssl_ctx = ssl.create_default_context(cafile=args.cafile) if args.url_base.startswith("wss:") else None

    stats = Stats()
    cps = [SimCP(i, args, stats) for i in range(1, args.count + 1)]
    failures = {"refused": {}, "errors": {}}
    gate = asyncio.Semaphore(args.concurrency)

    async def open_one(cp):
        async with gate:
            if stop.is_set():
                return False
            try:
                await cp.open(ssl_ctx)
                return True
            except InvalidStatus as error:
                code = str(error.response.status_code)
                failures["refused"][code] = failures["refused"].get(code, 0) + 1
            except (OSError, InvalidHandshake, asyncio.TimeoutError, ConnectionClosed, ConnectionError,
                    EOFError) as error:
                name = type(error).__name__
                failures["errors"][name] = failures["errors"].get(name, 0) + 1
            await cp.close()
            cp.ws = None
            return False

    started = time.monotonic()
    tasks = [asyncio.create_task(open_one(cp)) for cp in cps]
    done, pending = await asyncio.wait(tasks, timeout=args.connect_timeout)
    for task in pending:
        task.cancel()
    connect_s = time.monotonic() - started
    ok = [cp for cp, task in zip(cps, tasks) if task in done and not task.cancelled()
          and task.exception() is None and task.result()]
    log(f"connected {len(ok)}/{args.count} in {connect_s:.2f} s; failures {failures}")

    result = {"count": args.count, "connected": len(ok), "connect_s": round(connect_s, 3),
              "connect_failures": failures}
    meter_stop = asyncio.Event()
    start = time.monotonic() + 0.2
    stats.window = (start, start + args.seconds)
    n = max(1, len(ok))
    meters = [asyncio.create_task(cp.meter_loop(start, args.meter_interval * i / n, meter_stop))
              for i, cp in enumerate(ok)]
    ems_task = None
    if args.modbus_port or args.modbus_port_base:
        ems_task = asyncio.create_task(ems(args, cps, [u for u in parse_units(args.modbus_units, args.count, count_limit(args))
                                                       if cps[u - 1] in ok], result))
    try:
        await asyncio.wait_for(stop.wait(), timeout=start + args.seconds - time.monotonic())
    except asyncio.TimeoutError:
        pass
    if ems_task is not None:
        budget = args.samples * (EMS_WAIT_S + 6.5) + 10
        try:
            await asyncio.wait_for(asyncio.shield(ems_task), timeout=budget)
        except asyncio.TimeoutError:
            ems_task.cancel()
            result["ems_aborted"] = True
    meter_stop.set()
    await asyncio.gather(*meters, return_exceptions=True)
    # answers to the window's MeterValues still on their way
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and stats.answered < stats.sent:
        await asyncio.sleep(0.05)
    closed_during = stats.closed

    seconds = args.seconds
    result.update({
        "meter_values_sent_per_s": round(stats.sent / seconds, 2),
        "meter_values_answered_per_s": round(stats.answered / seconds, 2),
        "answer_ms_p50": pct(stats.answer_ms, 0.5),
        "answer_ms_p99": pct(stats.answer_ms, 0.99),
        "meter_values_sent": stats.sent, "meter_values_answered": stats.answered,
        "call_errors": stats.call_errors, "server_calls": stats.server_calls,
        "closed_during_run": closed_during, "seconds": seconds, "meter_interval": args.meter_interval,
    })
    for key in ("ems_to_profile_ms_p50", "ems_to_profile_ms_p99", "ems_samples"):
        result.setdefault(key, None if key != "ems_samples" else 0)
    try:
        await asyncio.wait_for(asyncio.gather(*(cp.close() for cp in cps), return_exceptions=True), 10)
    except asyncio.TimeoutError:
        log("closing took more than 10 s")
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url-base", required=True, help="ws://127.0.0.1:PORT/ocpp/")
    parser.add_argument("--ids-prefix", default="CP")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--meter-interval", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--password-prefix")
    parser.add_argument("--cafile")
    parser.add_argument("--modbus-port", type=int)
    parser.add_argument("--modbus-units")
    parser.add_argument("--modbus-port-base", type=int, help="a Modbus port per charge point: unit k is at port base+k-1 (unit 255)")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--connect-timeout", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes in flight at once")
    parser.add_argument("--version", choices=["1.6", "2.0.1"], default="1.6", help="the OCPP version the charge points speak")
    args = parser.parse_args()
    # a parent may start us with these blocked (the mask is inherited): SIGTERM must stop us
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
