"""An energy manager driving a charger through the Bender CC612/CC613 Modbus TCP table (pymodbus).

Written from the Bender "Modbus TCP API" / OMCCI register table as an EMS (evcc, openWB, Solar-Log)
uses it, against the Bender face of chargebridge; prints ONE JSON object of observations on stdout
for the Swift tests to assert on, and exits non-zero (after printing what it had, with "error") on
an unexpected error.

The face: every register is a holding register (read 03, write 06 or 16), 32-bit values high word
first, strings ASCII high byte first, any unit id (255 by default).
  100 firmware (2 regs)  104 OCPP status  122 vehicle state (A=1 .. E=5)
  131 safe current (A)   132 communication timeout (s)   142 model (10 regs)
  206/208/210 power L1-L3 (u32 W)   212/214/216 current L1-L3 (u32 mA)   218 energy (u32 Wh)
  220 active power (u32 W)   222/224/226 voltage L1-L3 (u32 V)   706 signalled current (A)
  716 session energy (u32 Wh)   718 session duration (u32 s)   720 user id (10 regs)
  1000 HEMS current limit (A, 0 = no charging)
Watchdog: without a write of the master within the communication timeout (132) the charger falls
back to the safe current (131) and the master's connection is closed; any accepted write renews it.

Usage: bender_ems.py --port PORT [--unit 255] [--host 127.0.0.1] [--scenario drive|master|probe]
                     [--seconds S --current A]   (master only)
  drive   the end-to-end run (see the README of the test / the keys below)
  master  set the watchdog (8 A, 3 s) and the setpoint A, feed it for S seconds;
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

SAFE_CURRENT_A = 8
TIMEOUT_S = 3
FEED_PERIOD_S = 0.5
SAMPLE_PERIOD_S = 0.25
NO_VALUE = 0xFFFFFFFF          # registers 200-227 on a charger without a meter

REG_FIRMWARE, REG_OCPP, REG_VEHICLE = 100, 104, 122
REG_SAFE_CURRENT, REG_TIMEOUT, REG_MODEL = 131, 132, 142
REG_POWER_L1, REG_CURRENT_L1, REG_ENERGY, REG_POWER, REG_VOLTAGE_L1 = 206, 212, 218, 220, 222
REG_SIGNALLED, REG_SESSION_ENERGY, REG_SESSION_DURATION, REG_USER_ID = 706, 716, 718, 720
REG_HEMS_LIMIT = 1000
# Not served by the face: evcc probes 1001 (0.1 A limit) and 1002 (power limit) and takes an
# exception as "absent", so 1001 doubles as the unknown address of the drive.
REG_UNKNOWN = 1001


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


def ascii_of(registers):
    data = b"".join(r.to_bytes(2, "big") for r in registers)
    return data.split(b"\0")[0].decode("ascii", "replace").strip()


def u32(registers):
    return (registers[0] << 16) | registers[1]


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

    def try_read(self, c, address, count):
        """Registers, or ("exception", code)."""
        answer = self._call(c, f"read {address}", lambda: c.read_holding_registers(address, count=count, device_id=self.unit))
        if answer.isError():
            return ("exception", getattr(answer, "exception_code", None))
        return list(answer.registers)

    def read(self, c, address, count=1):
        answer = self.try_read(c, address, count)
        if isinstance(answer, tuple):
            raise Unexpected(f"read {address}x{count}: exception {answer[1]}")
        return answer

    def try_write(self, c, address, value, multiple=False):
        """None when accepted, else the exception code."""
        if multiple:
            call = lambda: c.write_registers(address, [value], device_id=self.unit)  # noqa: E731
        else:
            call = lambda: c.write_register(address, value, device_id=self.unit)  # noqa: E731
        answer = self._call(c, f"write {address}={value}", call)
        if answer.isError():
            return getattr(answer, "exception_code", -1)
        self.last_accepted_write = time.monotonic()
        return None

    def write(self, c, address, value, multiple=False):
        code = self.try_write(c, address, value, multiple)
        if code is not None:
            raise Unexpected(f"write {address}={value}: exception {code}")

    # --- quantities ---
    def u32_at(self, c, address):
        value = u32(self.read(c, address, 2))
        return None if value == NO_VALUE else value

    def current_l1(self, c):
        value = self.u32_at(c, REG_CURRENT_L1)
        return None if value is None else round(value / 1000, 3)

    def follow(self, c, seconds, setpoint=None, samples=None):
        """Samples the L1 current (A) every 0.25 s for `seconds` into `samples` (returned); rewrites
        1000 = setpoint every 0.5 s (the watchdog feed) unless setpoint is None. Bounded in time
        and count; a PeerClosed leaves the samples taken so far in `samples`."""
        samples = [] if samples is None else samples
        start = time.monotonic()
        end = start + seconds
        next_feed = start
        for _ in range(int(seconds / SAMPLE_PERIOD_S) + 2):
            now = time.monotonic()
            if now >= end:
                break
            if setpoint is not None and now >= next_feed:
                self.write(c, REG_HEMS_LIMIT, setpoint)
                next_feed = now + FEED_PERIOD_S
            samples.append(self.current_l1(c))
            time.sleep(max(0.0, min(SAMPLE_PERIOD_S, end - time.monotonic())))
        return samples

    def setup_master(self, c, current):
        self.write(c, REG_SAFE_CURRENT, SAFE_CURRENT_A)
        self.write(c, REG_TIMEOUT, TIMEOUT_S)
        self.write(c, REG_HEMS_LIMIT, current, multiple=True)   # evcc writes 1000 with function 16


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
    out["firmware"] = ascii_of(ems.read(c, REG_FIRMWARE, 2))
    out["model"] = ascii_of(ems.read(c, REG_MODEL, 10))
    out["ocpp_status"] = ems.read(c, REG_OCPP)[0]
    out["vehicle_state"] = ems.read(c, REG_VEHICLE)[0]
    out["hems_limit_at_connection"] = ems.read(c, REG_HEMS_LIMIT)[0]


def drive(ems, out):
    first = ems.connect()
    identity(ems, first, out)

    # The master sequence: safe current, communication timeout, HEMS limit, then feed it.
    ems.setup_master(first, 12)
    out["watchdog_registers"] = [ems.read(first, REG_SAFE_CURRENT)[0], ems.read(first, REG_TIMEOUT)[0]]
    out["follow_12"] = ems.follow(first, 4, setpoint=12)
    out["signalled_current"] = ems.read(first, REG_SIGNALLED)[0]
    ems.write(first, REG_HEMS_LIMIT, 0, multiple=True)
    out["follow_pause"] = ems.follow(first, 1.5, setpoint=0)
    ems.write(first, REG_HEMS_LIMIT, 10, multiple=True)
    out["follow_10"] = ems.follow(first, 4, setpoint=10)

    # Energy, 2 s apart while charging at 10 A.
    out["energy_before"] = ems.u32_at(first, REG_ENERGY)
    out["session_energy_before"] = ems.u32_at(first, REG_SESSION_ENERGY)
    ems.follow(first, 2, setpoint=10)
    out["energy_after"] = ems.u32_at(first, REG_ENERGY)
    out["session_energy_after"] = ems.u32_at(first, REG_SESSION_ENERGY)
    out["session_duration"] = ems.u32_at(first, REG_SESSION_DURATION)
    out["power"] = ems.u32_at(first, REG_POWER)

    # Bad requests: 02 for an address the table does not define, 03 for an out-of-range limit.
    bad_read = ems.try_read(first, REG_UNKNOWN, 1)
    out["unknown_address_exception"] = bad_read[1] if isinstance(bad_read, tuple) else None
    out["out_of_range_exception"] = ems.try_write(first, REG_HEMS_LIMIT, 3)
    out["setpoint_after_bad_write"] = ems.read(first, REG_HEMS_LIMIT)[0]

    # Go silent, keep the socket: the bridge must close it within timeout + 1 s.
    out["closed_after_s"] = wait_closed(first, TIMEOUT_S + 8)
    out["closed_after_last_write_s"] = (None if out["closed_after_s"] is None
                                        else round(time.monotonic() - ems.last_accepted_write, 2))
    first.close()

    # A new connection that only reads sees the charger at the safe current.
    observer = ems.connect()
    out["after_failsafe"] = ems.follow(observer, 3)
    observer.close()

    # A reader does not displace the master.
    a = ems.connect()
    ems.write(a, REG_HEMS_LIMIT, 10)
    reader = ems.connect()
    ems.follow(reader, 1)
    reader.close()
    kept = not closed_by_peer(a)
    if kept:
        try:
            kept = ems.try_write(a, REG_HEMS_LIMIT, 10) is None
        except PeerClosed:
            kept = False
    out["reader_kept_master"] = kept

    # The newest writer wins: C writes 14 A, the bridge closes A.
    c = ems.connect()
    ems.write(c, REG_HEMS_LIMIT, 14, multiple=True)
    out["first_closed_by_second"] = wait_closed(a, 1.0) is not None
    out["second_follow_14"] = ems.follow(c, 4, setpoint=14)
    for link in (a, c):
        link.close()


def master(ems, out, seconds, current):
    c = ems.connect()
    ems.setup_master(c, current)
    out["closed"], out["closed_after_s"], out["samples"] = False, None, []
    start = time.monotonic()
    try:
        ems.follow(c, seconds, setpoint=current, samples=out["samples"])
    except PeerClosed:
        out["closed"] = True
        out["closed_after_s"] = round(time.monotonic() - start, 2)
    c.close()


def probe(ems, out):
    c = ems.connect()

    def text(address, count):
        answer = ems.try_read(c, address, count)
        return {"exception": answer[1]} if isinstance(answer, tuple) else ascii_of(answer)

    def word(address):
        answer = ems.try_read(c, address, 1)
        return {"exception": answer[1]} if isinstance(answer, tuple) else answer[0]

    def dword(address):
        answer = ems.try_read(c, address, 2)
        return {"exception": answer[1]} if isinstance(answer, tuple) else u32(answer)

    out["firmware"] = text(REG_FIRMWARE, 2)
    out["ocpp_status"] = word(REG_OCPP)
    out["vehicle_state"] = word(REG_VEHICLE)
    out["safe_current"] = word(REG_SAFE_CURRENT)
    out["comm_timeout"] = word(REG_TIMEOUT)
    out["model"] = text(REG_MODEL, 10)
    out["power_phases"] = [dword(REG_POWER_L1 + 2 * i) for i in range(3)]
    out["currents_ma"] = [dword(REG_CURRENT_L1 + 2 * i) for i in range(3)]
    out["energy_wh"] = dword(REG_ENERGY)
    out["power_w"] = dword(REG_POWER)
    out["voltages"] = [dword(REG_VOLTAGE_L1 + 2 * i) for i in range(3)]
    out["signalled_current"] = word(REG_SIGNALLED)
    out["session_energy_wh"] = dword(REG_SESSION_ENERGY)
    out["session_duration_s"] = dword(REG_SESSION_DURATION)
    out["user_id"] = text(REG_USER_ID, 10)
    out["hems_limit"] = word(REG_HEMS_LIMIT)
    # Block reads as evcc does them (6 registers per phase triple).
    block = ems.try_read(c, REG_CURRENT_L1, 6)
    out["currents_block"] = {"exception": block[1]} if isinstance(block, tuple) else [u32(block[i:i + 2]) for i in (0, 2, 4)]
    # Registers outside the face that evcc probes; an exception means "feature absent" to evcc.
    out["outside_face"] = {str(a): word(a) for a in (120, 140, 200, 705, 709, 730, 740, 1001, 1002)}
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
    if not (args.current == 0 or 6 <= args.current <= 80):
        parser.error("--current must be 0 or 6-80 A")
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
