"""Vestel EVC04/EVC08 chargers emulated behind pymodbus (a Modbus slave not written by us).

One emulated charger per port, all served from one asyncio loop on 127.0.0.1. pymodbus does the
framing and the protocol; this file models the charger: the register map of the Vestel Modbus
guide, a vehicle drawing min(current, EV limit) on its phases, energy counters, and the alive
watchdog that drops the charger to its failsafe current when the master stops writing 6000.

script JSON: {"chargers": {"15021": {"sessions": [{"plug_at": 1.0, "unplug_at": 20.0,
              "id_tag": "TAG1", "ev_max_a": 16, "ev_phases": 3}], "max_current": 32,
              "phases_switchable": false}}}
    Times are seconds after start; "unplug_at": null means the vehicle never leaves. A port with no
    entry, or an entry with no "sessions", has a vehicle (32 A, 3 phases, tag "EMU") plugged from start.
truth JSON, written atomically at each plug, unplug, failsafe entry/exit and at exit:
    {"sessions": [{"port", "id_tag", "start", "end", "energy_wh"}],
     "failsafe": [{"port", "entered", "left", "current"}],
     "writes": {"<port>": {"alive": <writes to 6000>, "setpoint": <accepted writes to 5004>}}}
--events prints one JSON line per plug, unplug, failsafe entry/exit and accepted write of
5004/2000/2002/405 ({"port": 15021, "event": "setpoint", "value": 16, "peer": "127.0.0.1:50312",
"t": <Unix time>}): who wrote what, and when. --alive-events adds a line per write of 6000.
Usage: evc04_emulator.py --ports 15021,15022 [--unit 255] [--script FILE] [--truth FILE]
                         [--lifetime 300] [--tick 0.1] [--events] [--alive-events]
Prints "ready" once every port accepts connections; stops on SIGTERM/SIGINT or after --lifetime s.
"""
import argparse
import asyncio
import contextvars
import json
import logging
import os
import signal
import sys
import time

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer
from pymodbus.server.requesthandler import ServerRequestHandler
from pymodbus.simulator import DataType, SimData, SimDevice

VOLTS = 230
MIN_CURRENT = 6
# Readable blocks (start, count); anything outside them answers exception 02 (pymodbus checks).
INPUT_BLOCKS = [(100, 25), (190, 10), (210, 5), (230, 50), (400, 5), (1000, 38), (1100, 7), (1502, 29)]
# 2001 is inside so that 2000..2002 reads in one request (it reads 0); writing it answers 02.
HOLDING_BLOCKS = [(405, 1), (2000, 3), (5004, 1), (6000, 1)]
DEFAULT_SESSION = {"plug_at": 0.0, "unplug_at": None, "id_tag": "EMU", "ev_max_a": 32, "ev_phases": 3}
EVENT_OF = {5004: "setpoint", 2000: "failsafe-current", 2002: "failsafe-timeout", 405: "phases"}
# The master connection whose request is being handled ("address:port"), for the write log.
PEER = contextvars.ContextVar("peer", default="?")
_handle_request = ServerRequestHandler.handle_request


async def _handle_request_with_peer(self):
    # pymodbus runs each request as a task of its own: the variable is set for this request only
    peer = self.transport.get_extra_info("peername") if self.transport else None
    PEER.set(f"{peer[0]}:{peer[1]}" if peer else "?")
    await _handle_request(self)

ServerRequestHandler.handle_request = _handle_request_with_peer


def ascii_words(text, count):
    data = text.encode("ascii")[:count * 2].ljust(count * 2, b"\0")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def u32(value):
    value = int(value) & 0xFFFFFFFF
    return [value >> 16, value & 0xFFFF]


class Truth:
    def __init__(self, path, ports):
        self.path = path
        self.data = {"sessions": [], "failsafe": [],
                     "writes": {str(port): {"alive": 0, "setpoint": 0} for port in ports}}

    def save(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, indent=1)
        os.replace(tmp, self.path)  # readers never see a half-written file


class OneUnit:
    """Lets only the configured unit id through; with ignore_missing_devices pymodbus then drops
    requests for other ids silently (SimCore alone would answer them with exception 04)."""

    def __init__(self, core, unit):
        self.core, self.unit = core, unit

    def device_ids(self):
        return [self.unit]

    async def async_getValues(self, device_id, *args):
        if device_id != self.unit:
            raise NoSuchIdException(str(device_id))
        return await self.core.async_getValues(device_id, *args)

    async def async_setValues(self, device_id, *args):
        if device_id != self.unit:
            raise NoSuchIdException(str(device_id))
        return await self.core.async_setValues(device_id, *args)


class Charger:
    def __init__(self, port, config, truth, events, started, alive_events=False):
        self.port, self.truth, self.events, self.started = port, truth, events, started
        self.alive_events = alive_events
        self.max_current = int(config.get("max_current", 32))
        self.switchable = bool(config.get("phases_switchable", False))
        self.sessions = sorted(config.get("sessions", [DEFAULT_SESSION]), key=lambda s: s["plug_at"])
        self.holding = {405: 1, 2000: 0, 2002: 20, 5004: self.max_current}
        self.writes = truth.data["writes"][str(port)]
        self.server = None
        self.ev = None          # script entry of the plugged vehicle
        self.next = 0           # index of the next session to plug
        self.record = None      # truth entry of the current (or last) session
        self.tag, self.session_wh, self.duration, self.plugged_at = "", 0.0, 0.0, 0.0
        self.total_wh = 0.0
        self.draw, self.phases = 0, 0
        self.last_feed = None   # monotonic time of the last alive write (or first write of any kind)
        self.failsafe = None    # truth entry while in failsafe
        self.last_tick = started

    def emit(self, event, **fields):
        if self.events:
            print(json.dumps({"port": self.port, "event": event, **fields}), flush=True)

    def device(self, unit):
        def blocks(spec):
            return [SimData(address=a, values=[0] * n, datatype=DataType.REGISTERS) for a, n in spec]
        bits = [SimData(address=0, values=[False] * 16, datatype=DataType.BITS)]
        discrete = [SimData(address=0, values=[False] * 16, datatype=DataType.BITS)]
        return SimDevice(id=unit, simdata=(bits, discrete, blocks(HOLDING_BLOCKS), blocks(INPUT_BLOCKS)),
                         action=self.action)

    # --- physics -------------------------------------------------------------------------
    def integrate(self, now):
        # Uses the draw of the elapsed interval, so call it before anything changes the draw.
        wh = self.draw * self.phases * VOLTS * (now - self.last_tick) / 3600
        self.last_tick = now
        self.total_wh += wh
        if self.ev is not None:
            self.session_wh += wh
            self.duration = now - self.plugged_at
            self.record["energy_wh"] = round(self.session_wh, 3)

    def update_draw(self):
        current = self.holding[2000] if self.failsafe else self.holding[5004]
        if self.ev is not None and current >= MIN_CURRENT:
            self.draw = min(current, int(self.ev.get("ev_max_a", 32)), self.max_current)
            self.phases = 1 if self.holding[405] == 0 else int(self.ev.get("ev_phases", 3))
        else:
            self.draw, self.phases = 0, 0

    def tick(self, now):
        self.integrate(now)
        elapsed = now - self.started
        unplug_at = self.ev.get("unplug_at") if self.ev else None
        if unplug_at is not None and elapsed >= unplug_at:
            self.unplug()
        if self.ev is None and self.next < len(self.sessions) and elapsed >= self.sessions[self.next]["plug_at"]:
            self.plug(now)
        timeout = self.holding[2002]
        if self.failsafe is None and timeout > 0 and self.last_feed is not None and now - self.last_feed > timeout:
            self.enter_failsafe()
        self.update_draw()

    def plug(self, now):
        self.ev, self.next = self.sessions[self.next], self.next + 1
        self.tag, self.session_wh, self.duration, self.plugged_at = self.ev.get("id_tag", "EMU"), 0.0, 0.0, now
        self.record = {"port": self.port, "id_tag": self.tag, "start": time.time(), "end": None, "energy_wh": 0.0}
        self.truth.data["sessions"].append(self.record)
        self.truth.save()
        self.emit("plugged", id_tag=self.tag)

    def unplug(self):
        # Session registers keep their values until the next plug, so a restarted bridge can read them.
        self.ev = None
        self.record["end"] = time.time()
        self.truth.save()
        self.emit("unplugged", id_tag=self.tag, energy_wh=self.record["energy_wh"])

    def enter_failsafe(self):
        self.failsafe = {"port": self.port, "entered": time.time(), "left": None, "current": self.holding[2000]}
        self.truth.data["failsafe"].append(self.failsafe)
        self.truth.save()
        self.emit("failsafe-entered", current=self.holding[2000])
        # Like the real charger, drop the silent master's connection(s).
        for connection in list(self.server.active_connections.values()):
            connection.close()

    def leave_failsafe(self):
        self.failsafe["left"] = time.time()
        self.failsafe = None
        self.truth.save()
        self.emit("failsafe-left")

    # --- Modbus --------------------------------------------------------------------------
    def input_image(self):
        image = {}

        def put(address, words):
            image.update((address + i, w) for i, w in enumerate(words))
        put(100, ascii_words(f"EMU-{self.port}", 25))
        put(190, ascii_words("Vestel", 10))
        put(210, ascii_words("EVC04", 5))
        put(230, ascii_words("emulator-1", 50))
        put(400, u32(self.max_current * VOLTS * 3))
        image[404] = 1
        plugged = self.ev is not None
        effective = self.holding[2000] if self.failsafe else self.holding[5004]
        if not plugged:
            state = 0
        elif self.draw > 0:
            state = 2
        else:
            state = 3 if effective < MIN_CURRENT else 4  # paused by us, or the EV takes nothing
        image.update({1000: state, 1001: int(self.draw > 0), 1002: 1, 1004: 3 if plugged else 0})
        put(1006, u32(0))
        for phase in range(3):
            amps = self.draw if phase < self.phases else 0
            image[1008 + 2 * phase] = amps * 1000
            image[1014 + 2 * phase] = VOLTS
            put(1024 + 4 * phase, u32(amps * VOLTS))
        put(1020, u32(self.draw * self.phases * VOLTS))
        put(1036, u32(self.total_wh // 100))
        image.update({1100: int(self.ev.get("ev_max_a", 32)) if plugged else 0,
                      1102: MIN_CURRENT, 1104: self.max_current, 1106: 32})
        put(1502, u32(self.session_wh))
        put(1508, u32(self.duration))
        put(1516, ascii_words(self.tag, 15))
        return image

    def valid(self, address, value):
        if address == 405:
            return value == 1 or (value == 0 and self.switchable)
        if address in (2000, 5004):
            return value == 0 or MIN_CURRENT <= value <= self.max_current
        if address == 2002:
            return value <= 3600
        return True  # 6000: any value feeds the watchdog

    def write(self, address, values):
        now = time.monotonic()
        if self.last_feed is None:
            self.last_feed = now  # a master showed up: the watchdog starts counting
        addresses = range(address, address + len(values))
        if 2001 in addresses:
            return ExcCodes.ILLEGAL_ADDRESS
        if not all(self.valid(a, v) for a, v in zip(addresses, values)):
            return ExcCodes.ILLEGAL_VALUE  # rejected before pymodbus stores anything
        self.integrate(now)
        for a, value in zip(addresses, values):
            if a == 6000:
                self.writes["alive"] += 1
                if self.alive_events:
                    self.emit("alive", value=value, peer=PEER.get(), t=time.time())
                self.last_feed = now
                if self.failsafe:
                    self.leave_failsafe()
                continue
            self.holding[a] = value
            if a == 5004:
                self.writes["setpoint"] += 1
            self.emit(EVENT_OF[a], value=value, peer=PEER.get(), t=time.time())
        self.update_draw()
        return None

    async def action(self, func_code, start, address, count, registers, values):
        """pymodbus hook, called after its address checks and before it reads/stores `registers`."""
        if func_code in (1, 2, 5, 15):
            return ExcCodes.ILLEGAL_FUNCTION  # no coils or discrete inputs on this charger
        if values is not None:
            return self.write(address, list(values))
        if func_code == 4:
            image = self.input_image()
        elif func_code in (3, 23):
            image = {**self.holding, 6000: 0}
        else:
            return None  # read-back after a write 06: echo what was written
        for a in range(address, address + count):
            registers[a - start] = image.get(a, 0)
        return None


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True)
    parser.add_argument("--unit", type=int, default=255)
    parser.add_argument("--script")
    parser.add_argument("--truth")
    parser.add_argument("--lifetime", type=float, default=300)
    parser.add_argument("--tick", type=float, default=0.1)
    parser.add_argument("--events", action="store_true")
    parser.add_argument("--alive-events", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    ports = [int(p) for p in args.ports.split(",") if p.strip()]
    script = {}
    if args.script:
        with open(args.script, encoding="utf-8") as handle:
            script = json.load(handle).get("chargers", {})

    truth = Truth(args.truth, ports)
    started = time.monotonic()
    chargers = [Charger(port, script.get(str(port), {}), truth, args.events, started, args.alive_events) for port in ports]
    for charger in chargers:
        charger.server = ModbusTcpServer(charger.device(args.unit), address=("127.0.0.1", charger.port),
                                         ignore_missing_devices=True)
        charger.server.context = OneUnit(charger.server.context, args.unit)
        await charger.server.serve_forever(background=True)  # returns once listening
    print("ready", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # a parent may start us with these blocked (the mask is inherited): SIGTERM must stop us
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    while not stop.is_set() and time.monotonic() - started < args.lifetime:
        now = time.monotonic()
        for charger in chargers:
            charger.tick(now)
        try:
            await asyncio.wait_for(stop.wait(), args.tick)
        except asyncio.TimeoutError:
            pass
    now = time.monotonic()
    for charger in chargers:
        charger.integrate(now)
    truth.save()
    # pymodbus's shutdown can wait for a connection the watchdog closed: bounded
    for charger in chargers:
        try:
            await asyncio.wait_for(charger.server.shutdown(), 1)
        except (asyncio.TimeoutError, Exception):
            pass


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
