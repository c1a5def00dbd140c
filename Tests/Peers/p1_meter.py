#!/usr/bin/env python3
"""A smart meter's P1 port: writes DSMR telegrams to a serial device (a socat pseudo-terminal in
the tests) and checks each with the real `dsmr-parser` package before sending it, so the bridge is
tested against telegrams a reference decoder accepts.

Each telegram is printed on stdout as one JSON line: what dsmr-parser read from it (the reference
values in SI units), or {"corrupt": n} for a deliberately broken one.

  p1_meter.py --device PATH [--dsmr 5|4|2.2|e-mucs] [--period 1] [--values-file F]
              [--corrupt-every N] [--truncate-every N] [--stop-after N] [--lifetime 300]

The values file (JSON, re-read before every telegram) holds signed currents per phase (negative =
export) and voltages: {"currents": [10, 12, 9], "voltages": [230, 231, 229]}.
"""
import argparse
import datetime
import json
import os
import re
import sys
import time

import serial
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

SPECS = {"5": telegram_specifications.V5, "4": telegram_specifications.V4,
         "2.2": telegram_specifications.V2_2, "e-mucs": telegram_specifications.BELGIUM_FLUVIUS}


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def telegram(version, currents, voltages, energy_wh):
    now = datetime.datetime.now().strftime("%y%m%d%H%M%S") + "W"
    kw = [abs(i) * u / 1000 for i, u in zip(currents, voltages)]
    imported = [k if i >= 0 else 0 for k, i in zip(kw, currents)]
    exported = [k if i < 0 else 0 for k, i in zip(kw, currents)]
    t1, t2 = energy_wh / 2000, energy_wh / 2000   # kWh per tariff
    if version == "2.2":
        lines = ["/ISk5\\2ME382-1003", "", "0-0:96.1.1(4B414C37303035313039303233313930)",
                 f"1-0:1.8.1({t1:05.3f}*kWh)", f"1-0:1.8.2({t2:05.3f}*kWh)", "1-0:2.8.1(00000.000*kWh)", "1-0:2.8.2(00000.000*kWh)",
                 "0-0:96.14.0(0002)", f"1-0:1.7.0({sum(imported):04.2f}*kW)", f"1-0:2.7.0({sum(exported):04.2f}*kW)",
                 "0-0:17.0.0(0999.00*kW)", "0-0:96.3.10(1)", "0-0:96.13.1()", "0-0:96.13.0()", "!"]
        return ("\r\n".join(lines) + "\r\n").encode()
    header = "/FLU5\\253769484_A" if version == "e-mucs" else ("/ISk5\\2MT382-1000" if version == "4" else "/ISK5\\2M550T-1012")
    lines = [header, ""]
    if version == "e-mucs":
        lines += ["0-0:96.1.4(50217)", f"0-0:96.1.1(3153414733313031303231363035)", f"0-0:1.0.0({now})"]
    else:
        lines += ["1-3:0.2.8(42)" if version == "4" else "1-3:0.2.8(50)", f"0-0:1.0.0({now})",
                  "0-0:96.1.1(4530303433303037303036393034353137)"]
    lines += [f"1-0:1.8.1({t1:010.3f}*kWh)", f"1-0:1.8.2({t2:010.3f}*kWh)", "1-0:2.8.1(000000.000*kWh)", "1-0:2.8.2(000000.000*kWh)",
              "0-0:96.14.0(0002)" if version != "e-mucs" else "0-0:96.14.0(0001)",
              f"1-0:1.7.0({sum(imported):06.3f}*kW)", f"1-0:2.7.0({sum(exported):06.3f}*kW)"]
    if version != "e-mucs":
        lines += ["0-0:96.7.21(00004)", "0-0:96.7.9(00002)", "1-0:99.97.0()", "1-0:32.32.0(00000)", "1-0:52.32.0(00000)",
                  "1-0:72.32.0(00000)", "1-0:32.36.0(00000)", "1-0:52.36.0(00000)", "1-0:72.36.0(00000)", "0-0:96.13.0()"]
    for phase, base in enumerate((32, 52, 72)):
        lines.append(f"1-0:{base}.7.0({voltages[phase]:05.1f}*V)")
    for phase, base in enumerate((31, 51, 71)):
        lines.append(f"1-0:{base}.7.0({round(abs(currents[phase])):03d}*A)")
    for phase, base in enumerate((21, 41, 61)):
        lines.append(f"1-0:{base}.7.0({imported[phase]:06.3f}*kW)")
    for phase, base in enumerate((22, 42, 62)):
        lines.append(f"1-0:{base}.7.0({exported[phase]:06.3f}*kW)")
    lines.append("0-1:24.1.0(003)")
    lines.append(f"0-1:24.2.1({now})(01234.567*m3)")
    body = ("\r\n".join(lines) + "\r\n!").encode()
    return body + f"{crc16(body):04X}\r\n".encode()


def reference(version, data: bytes):
    """What dsmr-parser reads from the telegram, in SI units (raises if it rejects it)."""
    parsed = TelegramParser(SPECS[version]).parse(data.decode(), throw_ex=True)
    out = {}
    def put(name, attribute, scale=1.0):
        obj = getattr(parsed, attribute, None)
        if obj is not None and getattr(obj, "value", None) is not None:
            out[name] = float(obj.value) * scale
    put("energy.import.t1", "ELECTRICITY_USED_TARIFF_1", 1000)
    put("energy.import.t2", "ELECTRICITY_USED_TARIFF_2", 1000)
    put("power.import", "CURRENT_ELECTRICITY_USAGE", 1000)
    put("power.export", "CURRENT_ELECTRICITY_DELIVERY", 1000)
    for phase, name in ((1, "L1"), (2, "L2"), (3, "L3")):
        put(f"voltage.l{phase}", f"INSTANTANEOUS_VOLTAGE_{name}")
        put(f"current.l{phase}.integer", f"INSTANTANEOUS_CURRENT_{name}")
        put(f"power.l{phase}.import", f"INSTANTANEOUS_ACTIVE_POWER_{name}_POSITIVE", 1000)
        put(f"power.l{phase}.export", f"INSTANTANEOUS_ACTIVE_POWER_{name}_NEGATIVE", 1000)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", required=True)
    parser.add_argument("--dsmr", default="5", choices=sorted(SPECS))
    parser.add_argument("--period", type=float, default=1.0)
    parser.add_argument("--values-file")
    parser.add_argument("--corrupt-every", type=int, default=0)
    parser.add_argument("--truncate-every", type=int, default=0)
    parser.add_argument("--stop-after", type=int, default=0)
    # every telegram without its version line and its CRC: what only DSMR 2.2 and 3 may send
    parser.add_argument("--strip-crc", action="store_true")
    parser.add_argument("--lifetime", type=float, default=300)
    args = parser.parse_args()
    if args.dsmr == "2.2":
        line = serial.Serial(args.device, 9600, bytesize=serial.SEVENBITS, parity=serial.PARITY_EVEN, stopbits=1)
    else:
        line = serial.Serial(args.device, 115200)
    print("ready", flush=True)
    values = {"currents": [5.0, 5.0, 5.0], "voltages": [230.0, 230.0, 230.0]}
    energy, sent, start = 1_234_567.0, 0, time.monotonic()
    while time.monotonic() - start < args.lifetime:
        if args.values_file and os.path.exists(args.values_file):
            try:
                with open(args.values_file) as f:
                    values.update(json.load(f))
            except (OSError, ValueError):
                pass
        if args.stop_after and sent >= args.stop_after:
            time.sleep(0.1)   # the cable is pulled: the port stays open, nothing arrives
            continue
        sent += 1
        energy += 10
        data = telegram(args.dsmr, values["currents"], values["voltages"], energy)
        if args.corrupt_every and sent % args.corrupt_every == 0:
            index = data.index(b"1-0:1.7.0(") + 11   # one digit of the power: the CRC no longer matches
            data = data[:index] + (b"9" if data[index:index + 1] != b"9" else b"8") + data[index + 1:]
            print(json.dumps({"corrupt": sent}), flush=True)
        elif args.strip_crc:
            data = re.sub(rb"1-3:0\.2\.8\(\d+\)\r\n", b"", data)
            data = data[: data.rindex(b"!") + 1] + b"\r\n"
            print(json.dumps({"stripped": sent}), flush=True)
        elif args.truncate_every and sent % args.truncate_every == 0:
            data = data[: len(data) // 2]
            print(json.dumps({"truncated": sent}), flush=True)
        else:
            print(json.dumps({"telegram": sent, "reference": reference(args.dsmr, data)}), flush=True)
        line.write(data)
        line.flush()
        time.sleep(args.period)


if __name__ == "__main__":
    sys.exit(main())
