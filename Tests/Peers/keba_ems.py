"""An energy manager driving a charger through the KEBA KeContact P30 Modbus TCP table (pymodbus).

Written from the "KeContact P30 Modbus TCP Programmers Guide" as an EMS (evcc, OpenEMS, openWB)
uses it, against the KEBA face of chargebridge; prints ONE JSON object of observations on stdout
for the Swift tests to assert on, and exits non-zero (after printing what it had, with "error") on
an unexpected error.

The face: unit 255, function 03 to read and 06 to write, nothing else. Every readable value is a
UINT32 in two registers, high word first, and is read on its own (2 registers per request: the
station does not answer block reads).
  1000 charging state (0 start-up, 1 not ready, 2 ready, 3 charging, 4 error, 5 suspended)
  1004 cable state (0, 1, 3, 5, 7)   1006 error code   1008/1010/1012 current L1-L3 (mA)
  1014 serial   1016 product type and features   1018 firmware (hex-coded version)
  1020 active power (mW)   1036 total energy (0.1 Wh)   1040/1042/1044 voltage L1-L3 (V)
  1100 max charging current (mA)   1110 max supported current (mA)   1502 session energy (0.1 Wh)
Writes (UINT16, function 06): 5004 charging current (mA, 6000-63000; above the charger's maximum
is capped), 5014 enable (0 pause, 1 enable), 5016 failsafe current (mA, 0 or 6000-63000),
5018 failsafe timeout (s, 10-600; 0 refused by the bridge), 5052 phases (0 one, 1 three).
Watchdog: the failsafe timeout is renewed by any accepted write of the master (KEBA: rewriting
5018, as evcc does every half timeout); on expiry the charger falls back to the failsafe current
and the master's connection is closed.

Usage: keba_ems.py --port PORT [--unit 255] [--host 127.0.0.1] [--scenario drive|master|probe]
                   [--seconds S --current A]   (master only)
  drive   the end-to-end run (see the keys below)
  master  set the watchdog (8 A, 10 s) and the setpoint A, feed it for S seconds;
          prints {"closed", "closed_after_s", "samples"}
  probe   read everything once, no writes
"""
import argparse
import ipaddress
import json
import select
import socket
import sys
import time
import traceback

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

FAILSAFE_CURRENT_MA = 8000
TIMEOUT_S = 10                  # the KEBA minimum
FEED_PERIOD_S = 0.5
SAMPLE_PERIOD_S = 0.25

REG_CHARGING_STATE, REG_CABLE_STATE, REG_ERROR = 1000, 1004, 1006
REG_CURRENT_L1, REG_SERIAL, REG_PRODUCT, REG_FIRMWARE, REG_POWER = 1008, 1014, 1016, 1018, 1020
REG_ENERGY, REG_VOLTAGE_L1 = 1036, 1040
REG_MAX_CURRENT, REG_MAX_SUPPORTED, REG_SESSION_ENERGY = 1100, 1110, 1502
REG_SET_CURRENT, REG_ENABLE, REG_FAILSAFE_CURRENT, REG_FAILSAFE_TIMEOUT, REG_PHASES = 5004, 5014, 5016, 5018, 5052
REG_UNKNOWN = 2000              # no KEBA register lives there


class PeerClosed(Exception):
    """The bridge closed this connection."""


class Unexpected(Exception):
    """An exception answer or a missing answer where none was expected."""


class OneShotClient(ModbusTcpClient):
    """A ModbusTcpClient that never reconnects by itself: pymodbus reopens a closed socket on the
    next request, which would silently make a displaced master a new one."""

    _opened = False

    def connect(self):
        if self._opened:
            return self.socket is not None
        self._opened = True
        return super().connect()


def loopback(host):
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except OSError as error:
        raise SystemExit(f"cannot resolve {host}: {error}")
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"{host} is not a loopback address: this test peer only talks to a local bridge")
    return host


def closed_by_peer(client):
    sock = client.socket
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def firmware_text(value):
    """1018 is a hex-coded version: 0x030A0D00 reads 3.10.13 (major, minor, patch bytes)."""
    return f"{(value >> 24) & 0xFF}.{(value >> 16) & 0xFF}.{(value >> 8) & 0xFF}"


class Ems:
    def __init__(self, host, port, unit):
        self.host, self.port, self.unit = host, port, unit
        self.last_accepted_write = None     # monotonic time of the last write the bridge accepted

    def connect(self):
        c = OneShotClient(self.host, port=self.port, timeout=2, retries=0, reconnect_delay=0)
        if not c.connect():
            raise Unexpected(f"cannot connect to {self.host}:{self.port}")
        return c

    # --- requests: each returns the answer or raises PeerClosed / Unexpected ---
    def _call(self, c, what, function):
        if closed_by_peer(c):
            c.close()
            raise PeerClosed(what)
        try:
            return function()
        except (ModbusException, OSError) as error:
            if closed_by_peer(c):
                c.close()
                raise PeerClosed(what) from error
            raise Unexpected(f"{what}: {error}") from error

    def try_read(self, c, address, count=2):
        """Registers, or ("exception", code). Values are read one at a time (count 2)."""
        answer = self._call(c, f"read {address}", lambda: c.read_holding_registers(address, count=count, device_id=self.unit))
        if answer.isError():
            return ("exception", getattr(answer, "exception_code", None))
        return list(answer.registers)

    def u32(self, c, address):
        answer = self.try_read(c, address, 2)
        if isinstance(answer, tuple):
            raise Unexpected(f"read {address}: exception {answer[1]}")
        return (answer[0] << 16) | answer[1]

    def try_write(self, c, address, value):
        """None when accepted, else the exception code (function 06 only)."""
        answer = self._call(c, f"write {address}={value}", lambda: c.write_register(address, value, device_id=self.unit))
        if answer.isError():
            return getattr(answer, "exception_code", -1)
        self.last_accepted_write = time.monotonic()
        return None

    def write(self, c, address, value):
        code = self.try_write(c, address, value)
        if code is not None:
            raise Unexpected(f"write {address}={value}: exception {code}")

    # --- quantities ---
    def current_l1(self, c):
        return round(self.u32(c, REG_CURRENT_L1) / 1000, 3)

    def follow(self, c, seconds, feed=True, samples=None):
        """Samples the L1 current (A) every 0.25 s for `seconds` into `samples` (returned); rewrites
        5018 every 0.5 s (the watchdog feed, as evcc does) when feed. Bounded in time and count;
        a PeerClosed leaves the samples taken so far in `samples`."""
        samples = [] if samples is None else samples
        start = time.monotonic()
        end = start + seconds
        next_feed = start
        for _ in range(int(seconds / SAMPLE_PERIOD_S) + 2):
            now = time.monotonic()
            if now >= end:
                break
            if feed and now >= next_feed:
                self.write(c, REG_FAILSAFE_TIMEOUT, TIMEOUT_S)
                next_feed = now + FEED_PERIOD_S
            samples.append(self.current_l1(c))
            time.sleep(max(0.0, min(SAMPLE_PERIOD_S, end - time.monotonic())))
        return samples

    def set_current(self, c, amperes):
        """Setpoint then enable, the KEBA way (5004 in mA, 5014 = 1)."""
        self.write(c, REG_SET_CURRENT, amperes * 1000)
        self.write(c, REG_ENABLE, 1)

    def setup_master(self, c, amperes):
        self.write(c, REG_FAILSAFE_CURRENT, FAILSAFE_CURRENT_MA)
        self.write(c, REG_FAILSAFE_TIMEOUT, TIMEOUT_S)
        self.set_current(c, amperes)


def wait_closed(c, limit_s):
    """Seconds until the bridge closes c (polled every 50 ms), or None after limit_s."""
    start = time.monotonic()
    for _ in range(int(limit_s / 0.05) + 2):
        if closed_by_peer(c):
            return round(time.monotonic() - start, 2)
        if time.monotonic() - start >= limit_s:
            break
        time.sleep(0.05)
    return None


def identity(ems, c, out):
    out["charging_state"] = ems.u32(c, REG_CHARGING_STATE)
    out["cable_state"] = ems.u32(c, REG_CABLE_STATE)
    out["error_code"] = ems.u32(c, REG_ERROR)
    out["serial"] = ems.u32(c, REG_SERIAL)
    out["product_type"] = ems.u32(c, REG_PRODUCT)
    firmware = ems.u32(c, REG_FIRMWARE)
    out["firmware"], out["firmware_version"] = firmware, firmware_text(firmware)
    out["max_current_ma"] = ems.u32(c, REG_MAX_CURRENT)
    out["max_supported_ma"] = ems.u32(c, REG_MAX_SUPPORTED)


def drive(ems, out):
    first = ems.connect()
    identity(ems, first, out)

    # The master sequence: failsafe current, failsafe timeout, charging current, enable; then
    # rewrite the failsafe timeout every 0.5 s.
    ems.setup_master(first, 12)
    out["follow_12"] = ems.follow(first, 4)
    out["max_current_12_ma"] = ems.u32(first, REG_MAX_CURRENT)
    ems.write(first, REG_ENABLE, 0)
    out["follow_pause"] = ems.follow(first, 1.5)
    out["charging_state_paused"] = ems.u32(first, REG_CHARGING_STATE)
    ems.set_current(first, 10)
    out["follow_10"] = ems.follow(first, 4)

    # Energy, 2 s apart while charging at 10 A (registers in 0.1 Wh, reported in Wh).
    out["energy_before"] = ems.u32(first, REG_ENERGY) / 10
    out["session_energy_before"] = ems.u32(first, REG_SESSION_ENERGY) / 10
    ems.follow(first, 2)
    out["energy_after"] = ems.u32(first, REG_ENERGY) / 10
    out["session_energy_after"] = ems.u32(first, REG_SESSION_ENERGY) / 10
    out["power_w"] = ems.u32(first, REG_POWER) / 1000

    # Bad requests: 02 for an address the table does not define, 03 for an out-of-range value.
    bad_read = ems.try_read(first, REG_UNKNOWN, 2)
    out["unknown_address_exception"] = bad_read[1] if isinstance(bad_read, tuple) else None
    out["out_of_range_exception"] = ems.try_write(first, REG_SET_CURRENT, 3000)
    out["setpoint_after_bad_write"] = ems.u32(first, REG_MAX_CURRENT)   # mA; 5004 itself is write-only
    out["failsafe_timeout_zero_exception"] = ems.try_write(first, REG_FAILSAFE_TIMEOUT, 0)
    # 63000 mA = "no limit": accepted and capped at the charger's maximum.
    out["no_limit_exception"] = ems.try_write(first, REG_SET_CURRENT, 63000)
    time.sleep(0.5)   # 1100 shows what the station offers: it follows at the next control step
    out["max_current_after_no_limit_ma"] = ems.u32(first, REG_MAX_CURRENT)
    ems.write(first, REG_SET_CURRENT, 10000)
    ems.write(first, REG_FAILSAFE_TIMEOUT, TIMEOUT_S)

    # Go silent, keep the socket: the bridge must close it within timeout + 1 s.
    out["closed_after_s"] = wait_closed(first, TIMEOUT_S + 8)
    out["closed_after_last_write_s"] = (None if out["closed_after_s"] is None
                                        else round(time.monotonic() - ems.last_accepted_write, 2))
    first.close()

    # A new connection that only reads sees the charger at the failsafe current.
    observer = ems.connect()
    out["after_failsafe"] = ems.follow(observer, 3, feed=False)
    observer.close()

    # A reader does not displace the master.
    a = ems.connect()
    ems.write(a, REG_FAILSAFE_TIMEOUT, TIMEOUT_S)
    reader = ems.connect()
    ems.follow(reader, 1, feed=False)
    reader.close()
    kept = not closed_by_peer(a)
    if kept:
        try:
            kept = ems.try_write(a, REG_FAILSAFE_TIMEOUT, TIMEOUT_S) is None
        except PeerClosed:
            kept = False
    out["reader_kept_master"] = kept

    # The newest writer wins: C writes 14 A, the bridge closes A.
    c = ems.connect()
    ems.set_current(c, 14)
    out["first_closed_by_second"] = wait_closed(a, 1.0) is not None
    out["second_follow_14"] = ems.follow(c, 4)
    for link in (a, c):
        link.close()


def master(ems, out, seconds, amperes):
    c = ems.connect()
    ems.setup_master(c, amperes)
    out["closed"], out["closed_after_s"], out["samples"] = False, None, []
    start = time.monotonic()
    try:
        ems.follow(c, seconds, samples=out["samples"])
    except PeerClosed:
        out["closed"] = True
        out["closed_after_s"] = round(time.monotonic() - start, 2)
    c.close()


def probe(ems, out):
    c = ems.connect()

    def dword(address):
        answer = ems.try_read(c, address, 2)
        return {"exception": answer[1]} if isinstance(answer, tuple) else (answer[0] << 16) | answer[1]

    out["charging_state"] = dword(REG_CHARGING_STATE)
    out["cable_state"] = dword(REG_CABLE_STATE)
    out["error_code"] = dword(REG_ERROR)
    out["currents_ma"] = [dword(REG_CURRENT_L1 + 2 * i) for i in range(3)]
    out["serial"] = dword(REG_SERIAL)
    out["product_type"] = dword(REG_PRODUCT)
    out["firmware"] = dword(REG_FIRMWARE)
    if isinstance(out["firmware"], int):
        out["firmware_version"] = firmware_text(out["firmware"])
    out["power_mw"] = dword(REG_POWER)
    out["energy_0_1wh"] = dword(REG_ENERGY)
    out["voltages"] = [dword(REG_VOLTAGE_L1 + 2 * i) for i in range(3)]
    out["max_current_ma"] = dword(REG_MAX_CURRENT)
    out["max_supported_ma"] = dword(REG_MAX_SUPPORTED)
    out["session_energy_0_1wh"] = dword(REG_SESSION_ENERGY)
    # Registers outside the face that evcc/OpenEMS read (1046 power factor, 1500 RFID,
    # 1550/1552 phase switch source/state, 1600/1602 failsafe current/timeout read back) and
    # the write-only registers; a block read of four registers (KEBA: not supported).
    out["outside_face"] = {str(a): dword(a) for a in (1046, 1500, 1550, 1552, 1600, 1602,
                                                      REG_SET_CURRENT, REG_ENABLE, REG_FAILSAFE_CURRENT,
                                                      REG_FAILSAFE_TIMEOUT, REG_PHASES, REG_UNKNOWN)}
    block = ems.try_read(c, REG_CHARGING_STATE, 4)
    out["block_read"] = {"exception": block[1]} if isinstance(block, tuple) else block
    c.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unit", type=int, default=255)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--scenario", choices=["drive", "master", "probe"], default="drive")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--current", type=int, default=12)
    args = parser.parse_args()
    if not 0 <= args.unit <= 255:
        parser.error("--unit must be 0-255")
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be in (0, 600]")
    if not 6 <= args.current <= 63:
        parser.error("--current must be 6-63 A")
    ems = Ems(loopback(args.host), args.port, args.unit)
    out = {}
    status = 0
    try:
        if args.scenario == "drive":
            drive(ems, out)
        elif args.scenario == "master":
            master(ems, out, args.seconds, args.current)
        else:
            probe(ems, out)
    except (PeerClosed, Unexpected, ModbusException, OSError) as error:
        traceback.print_exc(file=sys.stderr)
        out["error"] = f"{type(error).__name__}: {error}"
        status = 1
    print(json.dumps(out), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
