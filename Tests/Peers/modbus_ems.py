"""What the energy-manager peers bender_ems.py and keba_ems.py share (pymodbus).

Both play an EMS that steers a charger through a Modbus TCP face of chargebridge: one master
connection sets a watchdog and a setpoint and keeps feeding the watchdog; readers beside it only
read. This module holds the part that does not depend on the vendor's table:

  Ems          connection and requests (read/write raising PeerClosed or Unexpected), `follow`
               (sample the L1 current while feeding the watchdog); a peer subclasses it with its
               table: TIMEOUT_S, current_l1, feed_write, set_current, setup_master
  master       the --scenario master run
  silent_master_and_takeover
               the end of every drive: silence closes the master, a reader displaces nobody,
               the newest writer does
  main         the command line, the one JSON object on stdout, the exit status

Not a script: the peers import it (their folder is on sys.path when run as a script).
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

FEED_PERIOD_S = 0.5
SAMPLE_PERIOD_S = 0.25


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


def u32(registers):
    """Two registers, high word first."""
    return (registers[0] << 16) | registers[1]


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


class Ems:
    """The requests of an EMS; a peer's subclass adds its table:
      TIMEOUT_S                  the watchdog time its master sets (s)
      current_l1(c)              the L1 current (A) as its table shows it
      feed_write(amperes)        (address, value) a master at `amperes` rewrites every 0.5 s
      set_current(c, amperes)    the setpoint write(s)
      setup_master(c, amperes)   the watchdog registers, then the setpoint
    """

    TIMEOUT_S = None

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

    def u32_at(self, c, address):
        return u32(self.read(c, address, 2))

    def read_or_exception(self, c, address, count, decode=list):
        """decode(registers), or {"exception": code}: the probes report both as they come."""
        answer = self.try_read(c, address, count)
        return {"exception": answer[1]} if isinstance(answer, tuple) else decode(answer)

    def read_exception(self, c, address, count):
        """The exception code of a read expected to fail, or None when it answered."""
        answer = self.try_read(c, address, count)
        return answer[1] if isinstance(answer, tuple) else None

    def try_write(self, c, address, value, multiple=False):
        """None when accepted, else the exception code. Function 06, or 16 when multiple."""
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

    def follow(self, c, seconds, setpoint=None, samples=None):
        """Samples the L1 current (A) every 0.25 s for `seconds` into `samples` (returned). With a
        setpoint, c is the master at that setpoint and feeds its watchdog: feed_write(setpoint)
        every 0.5 s. Bounded in time and count; a PeerClosed leaves the samples taken so far in
        `samples`."""
        samples = [] if samples is None else samples
        start = time.monotonic()
        end = start + seconds
        next_feed = start
        for _ in range(int(seconds / SAMPLE_PERIOD_S) + 2):
            now = time.monotonic()
            if now >= end:
                break
            if setpoint is not None and now >= next_feed:
                self.write(c, *self.feed_write(setpoint))
                next_feed = now + FEED_PERIOD_S
            samples.append(self.current_l1(c))
            time.sleep(max(0.0, min(SAMPLE_PERIOD_S, end - time.monotonic())))
        return samples


def master(ems, out, seconds, amperes):
    """--scenario master: set the watchdog and the setpoint, feed it for `seconds`."""
    c = ems.connect()
    ems.setup_master(c, amperes)
    out["closed"], out["closed_after_s"], out["samples"] = False, None, []
    start = time.monotonic()
    try:
        ems.follow(c, seconds, setpoint=amperes, samples=out["samples"])
    except PeerClosed:
        out["closed"] = True
        out["closed_after_s"] = round(time.monotonic() - start, 2)
    c.close()


def silent_master_and_takeover(ems, out, first):
    """The end of a drive, the same on every face: `first`, the master, goes silent; then a
    reader beside a new master, then a second writer."""
    # Go silent, keep the socket: the bridge must close it within timeout + 1 s.
    out["closed_after_s"] = wait_closed(first, ems.TIMEOUT_S + 8)
    out["closed_after_last_write_s"] = (None if out["closed_after_s"] is None
                                        else round(time.monotonic() - ems.last_accepted_write, 2))
    first.close()

    # A new connection that only reads sees the charger at the safe (failsafe) current.
    observer = ems.connect()
    out["after_failsafe"] = ems.follow(observer, 3)
    observer.close()

    # A reader does not displace the master: A writes (its feed), a reader comes and goes, and
    # A's next feed is still accepted.
    feed = ems.feed_write(10)
    a = ems.connect()
    ems.write(a, *feed)
    reader = ems.connect()
    ems.follow(reader, 1)
    reader.close()
    kept = not closed_by_peer(a)
    if kept:
        try:
            kept = ems.try_write(a, *feed) is None
        except PeerClosed:
            kept = False
    out["reader_kept_master"] = kept

    # The newest writer wins: C sets 14 A, the bridge closes A.
    c = ems.connect()
    ems.set_current(c, 14)
    out["first_closed_by_second"] = wait_closed(a, 1.0) is not None
    out["second_follow_14"] = ems.follow(c, 4, setpoint=14)
    for link in (a, c):
        link.close()


def main(doc, ems_class, drive, probe, currents, currents_text):
    """The peers' command line (see their docstring); `currents` holds the --current values the
    table accepts, `currents_text` says which. Prints one JSON object; returns the exit status."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
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
    if args.current not in currents:
        parser.error(f"--current must be {currents_text}")
    ems = ems_class(loopback(args.host), args.port, args.unit)
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
        # Print what was observed so far anyway: the tests show it beside the error.
        traceback.print_exc(file=sys.stderr)
        out["error"] = f"{type(error).__name__}: {error}"
        status = 1
    print(json.dumps(out), flush=True)
    return status
