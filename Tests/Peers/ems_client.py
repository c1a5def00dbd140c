"""An energy manager driving an EVC08 over Modbus TCP with pymodbus (a client not written by us).

Runs the master sequence of the Vestel guide against one charger of chargebridge and prints one
JSON object of observations; the Swift test asserts on them.
Usage: ems_client.py --port PORT [--unit 255]
"""
import argparse
import json
import select
import socket
import time

from pymodbus.client import ModbusTcpClient


def ascii_of(registers):
    data = b"".join(r.to_bytes(2, "big") for r in registers)
    return data.split(b"\0")[0].decode("ascii", "replace").strip()


def closed_by_peer(client):
    sock = client.socket
    if sock is None:
        return True
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unit", type=int, default=255)
    args = parser.parse_args()
    unit = args.unit
    out = {}

    def client():
        c = ModbusTcpClient("127.0.0.1", port=args.port, timeout=2, retries=0, reconnect_delay=0)
        assert c.connect(), "cannot connect"
        return c

    def current_l1(c):
        return c.read_input_registers(1008, count=1, device_id=unit).registers[0] / 1000

    def follow(c, seconds, alive=True):
        samples = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if alive:
                c.write_register(6000, 1, device_id=unit)
            samples.append(current_l1(c))
            time.sleep(0.25)
        return samples

    ems = client()
    # Identity and status, as an EMS reads them at connection.
    out["serial"] = ascii_of(ems.read_input_registers(100, count=25, device_id=unit).registers)
    out["brand"] = ascii_of(ems.read_input_registers(190, count=10, device_id=unit).registers)
    out["model"] = ascii_of(ems.read_input_registers(210, count=5, device_id=unit).registers)
    out["firmware"] = ascii_of(ems.read_input_registers(230, count=50, device_id=unit).registers)
    status = ems.read_input_registers(1000, count=20, device_id=unit).registers
    out["charge_point_state"], out["cable_state"] = status[0], status[4]
    limits = ems.read_input_registers(1100, count=7, device_id=unit).registers
    out["min_current"], out["max_current"] = limits[2], limits[4]
    out["phases"] = ems.read_input_registers(404, count=1, device_id=unit).registers[0]

    # The master sequence: failsafe current, failsafe timeout, charging current, then alive.
    ems.write_register(2000, 8, device_id=unit)
    ems.write_register(2002, 3, device_id=unit)
    ems.write_register(5004, 12, device_id=unit)
    ems.write_register(6000, 1, device_id=unit)
    out["follow_12"] = follow(ems, 4)
    ems.write_register(5004, 0, device_id=unit)
    out["follow_pause"] = follow(ems, 1.5)
    ems.write_register(5004, 10, device_id=unit)
    out["follow_10"] = follow(ems, 4)

    # Bad requests: exception 02 for an unknown address, 03 for an out-of-range value.
    bad_read = ems.read_input_registers(3000, count=1, device_id=unit)
    out["unknown_address_exception"] = getattr(bad_read, "exception_code", None)
    bad_write = ems.write_register(5004, 3, device_id=unit)
    out["out_of_range_exception"] = getattr(bad_write, "exception_code", None)
    out["charging_current_after_bad_write"] = ems.read_holding_registers(5004, count=1, device_id=unit).registers[0]
    out["failsafe_registers"] = ems.read_holding_registers(2000, count=3, device_id=unit).registers

    # Go silent: keep the socket, stop writing alive. The bridge must close it within timeout + 1 s.
    silent_since = time.monotonic()
    out["closed_after_s"] = None
    while time.monotonic() - silent_since < 8:
        if closed_by_peer(ems):
            out["closed_after_s"] = round(time.monotonic() - silent_since, 2)
            break
        time.sleep(0.05)
    ems.close()

    # A new connection (not writing alive) sees the charger at the failsafe current.
    observer = client()
    out["after_failsafe"] = follow(observer, 3, alive=False)

    # Newest master wins: a second connection replaces the first.
    first = client()
    first.write_register(6000, 1, device_id=unit)
    second = client()
    second.write_register(5004, 14, device_id=unit)
    second.write_register(6000, 1, device_id=unit)
    time.sleep(0.3)
    out["first_closed_by_second"] = closed_by_peer(first)
    out["second_follow_14"] = follow(second, 4)
    for c in (first, second, observer):
        c.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
