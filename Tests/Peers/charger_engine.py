"""The engine under the brand charger emulators in Tests/Peers/chargers/.

A brand module describes its charger as its vendor documents it (register layout, unit ids,
encodings, what a write means) by subclassing `Model`; this engine does the rest the same way
for every brand: pymodbus serves the registers (TCP on 127.0.0.1 or RTU on a serial device),
addresses outside the brand's blocks answer exception 02, a car draws what the charger allows,
energy and session counters run, and the charger's own watchdog drops it to its safe current
when the master stops feeding it.

Events, one JSON line each on stdout with --events:
  {"event": "write", "unit": 1, "address": 1210, "values": [16672, 0]}   every accepted write
  {"event": "current", "amps": 10.0} / "pause" / "resume" / {"event": "phases", "phases": 1}
  {"event": "timeout", "s": 4} / {"event": "safe", "amps": 6} / "feed"
  {"event": "fallback-entered", "current": 6} / "fallback-left"
  {"event": "refused", "unit": 1, "address": 1210, "code": 3}           a write answered 03
Usage: python chargers/<brand>.py (--port P | --rtu DEVICE [--baud B]) [--lifetime S]
       [--tick S] [--events] [--ev-max-a A] [--ev-phases N] [--unplugged] [--refuse ADDRESS]
       [--timeout S] [--max-a A]
Prints "ready" once serving; stops on SIGTERM/SIGINT or after --lifetime seconds.
"""
import argparse
import asyncio
import json
import logging
import signal
import struct
import sys
import time

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

VOLTS = 230.0


# --- encodings brand modules use ------------------------------------------------------------
def words_u32(value, swap=False):
    value = int(value) & 0xFFFFFFFF
    words = [value >> 16, value & 0xFFFF]
    return words[::-1] if swap else words


def words_f32(value, swap=False):
    raw = struct.unpack(">I", struct.pack(">f", float(value)))[0]
    return words_u32(raw, swap)


def words_f64(value):
    raw = struct.unpack(">Q", struct.pack(">d", float(value)))[0]
    return [(raw >> shift) & 0xFFFF for shift in (48, 32, 16, 0)]


def words_text(text, count):
    data = text.encode("ascii")[:count * 2].ljust(count * 2, b"\0")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def value_u32(words, swap=False):
    high, low = (words[1], words[0]) if swap else (words[0], words[1])
    return (high << 16) | low


def value_f32(words, swap=False):
    return struct.unpack(">f", struct.pack(">I", value_u32(words, swap)))[0]


class Model:
    """One charger. Subclasses set the class attributes and implement `blocks`, `image`, `write`."""
    NAME = "charger"
    UNITS = (1,)            # unit ids the charger answers on
    MIN_A = 6               # below this a car does not charge
    MAX_A = 32
    WATCHDOG = "alive"      # alive | validity | setpoint | none: what renews the watchdog (see feed())
    DEFAULT_TIMEOUT_S = 60  # the watchdog time until a master sets another
    DEFAULT_SAFE_A = 6      # the current the charger falls back to
    SWITCHABLE = False      # can switch between 1 and 3 phases

    def __init__(self, args):
        self.args = args
        self.max_a = float(args.max_a or self.MAX_A)
        self.limit_a = self.max_a          # what the master allows (before a fallback)
        self.paused = False
        self.phases = 3                    # phases the charger selects
        self.timeout_s = float(args.timeout or self.DEFAULT_TIMEOUT_S)
        self.safe_a = float(self.DEFAULT_SAFE_A)
        self.fallback = False
        self.last_feed = None              # monotonic; None until a master first writes
        self.plugged = not args.unplugged
        self.ev_max_a, self.ev_phases = float(args.ev_max_a), int(args.ev_phases)
        self.draw_a, self.draw_phases = 0.0, 0
        self.energy_wh, self.session_wh = 0.0, 0.0
        self.started = self.session_start = self.last_tick = time.monotonic()
        self.tag = "EMU-TAG"
        self.serial = f"EMU-{args.port or 'RTU'}"
        self.refused = 0

    # --- what a brand implements ----------------------------------------------------------
    def blocks(self):
        """{"hr": {unit: [(start, count), ...]}, "ir": {...}}: every valid address."""
        raise NotImplementedError

    def image(self, table, unit):
        """{address: word} of the readable registers of `table` ("hr" or "ir") at `unit` now."""
        raise NotImplementedError

    def write(self, unit, address, values):
        """Applies a write (through the helpers below); returns None or an ExcCodes member."""
        raise NotImplementedError

    def write_each(self, address, values):
        """For brands whose registers are written one at a time alike by 06 and 16: each through
        the brand's `write_one(address, value)`; the first refusal stops the rest."""
        for offset, value in enumerate(values):
            result = self.write_one(address + offset, value)
            if result is not None:
                return result
        return None

    # --- helpers a brand's write() calls ---------------------------------------------------
    def allow(self, amps):
        self.limit_a = float(amps)
        self.emit("current", amps=self.limit_a)
        if self.WATCHDOG == "setpoint":
            self.feed()

    def pause(self):
        if not self.paused:
            self.paused = True
            self.emit("pause")

    def resume(self):
        if self.paused:
            self.paused = False
            self.emit("resume")

    def select_phases(self, phases):
        self.phases = phases
        self.emit("phases", phases=phases)

    def set_timeout(self, seconds):
        self.timeout_s = float(seconds)
        self.emit("timeout", s=seconds)
        if self.WATCHDOG == "validity":
            self.feed()

    def set_safe(self, amps):
        self.safe_a = float(amps)
        self.emit("safe", amps=amps)

    def feed(self):
        self.last_feed = time.monotonic()
        self.emit("feed")
        if self.fallback:
            self.fallback = False
            self.emit("fallback-left")

    # --- state brands read ----------------------------------------------------------------
    @property
    def allowed_a(self):
        """What the charger offers the car now."""
        if self.fallback:
            return self.safe_a
        return 0.0 if self.paused else self.limit_a

    @property
    def iec(self):
        if not self.plugged:
            return "A"
        return "C" if self.draw_a > 0 else "B"

    @property
    def session_s(self):
        return int(time.monotonic() - self.session_start) if self.plugged else 0

    def current(self, phase):
        return self.draw_a if phase < self.draw_phases else 0.0

    def power_w(self, phase=None):
        if phase is None:
            return self.draw_a * self.draw_phases * VOLTS
        return self.current(phase) * VOLTS

    # --- engine ---------------------------------------------------------------------------
    def emit(self, event, **fields):
        if self.args.events:
            print(json.dumps({"event": event, **fields}), flush=True)

    def tick(self, now):
        self.energy_wh += self.draw_a * self.draw_phases * VOLTS * (now - self.last_tick) / 3600
        if self.plugged:
            self.session_wh += self.draw_a * self.draw_phases * VOLTS * (now - self.last_tick) / 3600
        self.last_tick = now
        if (self.WATCHDOG != "none" and not self.fallback and self.last_feed is not None
                and now - self.last_feed > self.timeout_s):
            self.fallback = True
            self.emit("fallback-entered", current=self.safe_a)
        allowed = min(self.allowed_a, self.max_a)
        if self.plugged and allowed >= self.MIN_A:
            self.draw_a = min(allowed, self.ev_max_a)
            self.draw_phases = 1 if self.phases == 1 else self.ev_phases
        else:
            self.draw_a, self.draw_phases = 0.0, 0

    def action_for(self, unit):
        async def action(func_code, start, address, count, registers, values):
            if func_code in (1, 2, 5, 15):
                return ExcCodes.ILLEGAL_FUNCTION
            if values is not None:
                values = [int(v) for v in values]
                if self.args.refuse is not None and address <= self.args.refuse < address + len(values):
                    self.refused += 1
                    self.emit("refused", unit=unit, address=address, code=3)
                    return ExcCodes.ILLEGAL_VALUE
                if self.last_feed is None and self.WATCHDOG != "none":
                    self.last_feed = time.monotonic()  # a master showed up: the watchdog counts
                self.tick(time.monotonic())
                result = self.write(unit, address, values)
                if result is None:
                    self.emit("write", unit=unit, address=address, values=values)
                    self.tick(time.monotonic())
                else:
                    self.emit("refused", unit=unit, address=address, code=int(result))
                return result
            table = "ir" if func_code == 4 else "hr"
            if func_code not in (3, 4, 23):
                return None
            image = self.image(table, unit)
            for a in range(address, address + count):
                registers[a - start] = int(image.get(a, 0)) & 0xFFFF
            return None
        return action

    def devices(self):
        layout = self.blocks()
        devices = []
        for unit in self.UNITS:
            def regs(table):
                # pymodbus wants at least one block per table: an empty table gets one at 65535
                spans = sorted(layout.get(table, {}).get(unit, [])) or [(65535, 1)]
                return [SimData(address=a, values=[0] * n, datatype=DataType.REGISTERS) for a, n in spans]
            bits = [SimData(address=0, values=[False] * 8, datatype=DataType.BITS)]
            devices.append(SimDevice(id=unit, simdata=(bits, list(bits), regs("hr"), regs("ir")),
                                     action=self.action_for(unit)))
        return devices


def run(model_class):
    parser = argparse.ArgumentParser(description=model_class.__doc__)
    parser.add_argument("--port", type=int)
    parser.add_argument("--rtu")
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--parity", default="N")
    parser.add_argument("--lifetime", type=float, default=120)
    parser.add_argument("--tick", type=float, default=0.1)
    parser.add_argument("--events", action="store_true")
    parser.add_argument("--ev-max-a", type=float, default=32)
    parser.add_argument("--ev-phases", type=int, default=3)
    parser.add_argument("--unplugged", action="store_true")
    parser.add_argument("--refuse", type=int, help="answer 03 to every write touching this address")
    parser.add_argument("--timeout", type=float, help="the watchdog time set on the charger itself")
    parser.add_argument("--max-a", type=float, help="the installation's maximum current")
    args = parser.parse_args()
    if (args.port is None) == (args.rtu is None):
        parser.error("give --port or --rtu")
    asyncio.run(serve(model_class(args), args))
    sys.exit(0)


async def serve(model, args):
    logging.basicConfig(level=logging.ERROR)
    if args.port is not None:
        server = ModbusTcpServer(model.devices(), address=("127.0.0.1", args.port), ignore_missing_devices=True)
    else:
        server = ModbusSerialServer(model.devices(), port=args.rtu, baudrate=args.baud, parity=args.parity,
                                    ignore_missing_devices=True)
    await server.serve_forever(background=True)
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    while not stop.is_set() and time.monotonic() - model.started < args.lifetime:
        model.tick(time.monotonic())
        try:
            await asyncio.wait_for(stop.wait(), args.tick)
        except asyncio.TimeoutError:
            pass
    try:
        await asyncio.wait_for(server.shutdown(), 1)
    except (asyncio.TimeoutError, Exception):
        pass
