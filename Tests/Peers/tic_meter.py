"""A Linky meter's télé-information client (TIC) output, written to a serial device.

Sends a frame every --period seconds in mode historique (1200 baud 7E1, space separators, checksum over
label..data) or standard (9600 baud 7E1, tab separators, checksum also over the separator before it),
after Enedis-NOI-CPT_54E / NOI-CPT_02E. One current gives a single-phase meter, three a three-phase one.

Values, later ones overriding earlier ones: the flags, --values (a JSON object), then --values-file, read
again before every frame so a test can change the load while the meter runs (write it atomically: a
half-written file is ignored and the last good values kept). Keys:
  currents  [A] or [A, A, A]        power     apparent power drawn, VA (default: currents × voltages, 0 if injecting)
  voltages  [V] or [V, V, V]        injected  apparent power injected, VA (standard: SINSTI; makes a producer)
  energy    import index, Wh        export    export index, Wh (standard: EAIT)
  period    "base", "hc" or "hp"    (historique: BASE or HCHC/HCHP and PTEC; standard: NTARF 1 or 2)
The import index grows with the power drawn, as a real meter's would.

--corrupt-every N sends every Nth frame with a wrong checksum on its power group (PAPP / SINSTS);
--stop-after N stops sending after N frames but keeps the port open (a pulled cable).

Usage: tic_meter.py --device PATH --mode historique|standard [--period S] [--lifetime S]
                    [--currents 10,12,9] [--power VA] [--values JSON] [--values-file PATH]
                    [--corrupt-every N] [--stop-after N]
Prints "ready" once the port is open; exits after --lifetime seconds.
"""
import argparse
import json
import os
import sys
import termios
import time

import serial

STX, ETX = b"\x02", b"\x03"
ADDRESS = "041876097274"


def checksum(summed: bytes) -> int:
    return (sum(summed) & 0x3F) + 0x20


def group(mode, label, data, horodate=None, corrupt=False):
    """LF label SEP [horodate SEP] data SEP checksum CR."""
    if mode == "historique":
        payload = f"{label} {data}".encode("ascii")
        summed, separator = payload, b" "
    else:
        fields = [label] + ([horodate] if horodate is not None else []) + [data]
        payload = "\t".join(fields).encode("ascii")
        summed, separator = payload + b"\t", b"\t"
    value = checksum(summed)
    if corrupt:
        value = (value - 0x20 + 1) % 0x40 + 0x20  # still a printable checksum, just the wrong one
    return b"\n" + payload + separator + bytes([value]) + b"\r"


def horodate(now):
    """Season (E summer, H winter) and YYMMDDhhmmss, local time."""
    local = time.localtime(now)
    return ("E" if local.tm_isdst > 0 else "H") + time.strftime("%y%m%d%H%M%S", local)


def digits(value, width):
    return str(max(0, min(int(round(value)), 10 ** width - 1))).zfill(width)


def historique_frame(v, corrupt):
    currents = v["currents"]
    hc = v["period"] in ("hc", "hp")
    groups = [("ADCO", ADDRESS), ("OPTARIF", "HC.." if hc else "BASE"), ("ISOUSC", "60")]
    if hc:
        # The index of the period in force grows; both are sent.
        groups += [("HCHC", digits(v["energy_hc"], 9)), ("HCHP", digits(v["energy_hp"], 9))]
        groups += [("PTEC", "HC.." if v["period"] == "hc" else "HP..")]
    else:
        groups += [("BASE", digits(v["energy"], 9)), ("PTEC", "TH..")]
    if len(currents) == 1:
        groups += [("IINST", digits(currents[0], 3)), ("IMAX", "090")]
    else:
        groups += [(f"IINST{n}", digits(c, 3)) for n, c in enumerate(currents, 1)]
        groups += [(f"IMAX{n}", "060") for n in (1, 2, 3)] + [("PMAX", "13800")]
    groups += [("PAPP", digits(v["power"], 5)), ("HHPHC", "A"), ("MOTDETAT", "000000")]
    if len(currents) == 3:
        groups += [("PPOT", "00")]
    return STX + b"".join(group("historique", label, data, corrupt=corrupt and label == "PAPP")
                          for label, data in groups) + ETX


def standard_frame(v, corrupt, now):
    currents, voltages = v["currents"], v["voltages"]
    stamp = horodate(now)
    tariff = 2 if v["period"] == "hp" else 1
    # Supplier's contract name (NGTF) and tariff period name (LTARF): text, 16 characters.
    names = {"base": ("BASE", "BASE"), "hc": ("HC/HP", "HEURES CREUSES"), "hp": ("HC/HP", "HEURES PLEINES")}
    ngtf, ltarf = (name.center(16) for name in names[v["period"]])
    groups = [("ADSC", ADDRESS, None), ("VTIC", "02", None), ("DATE", "", stamp),
              ("NGTF", ngtf, None), ("LTARF", ltarf, None), ("EAST", digits(v["energy"], 9), None)]
    energies = [v["energy_hc"], v["energy_hp"]] if v["period"] != "base" else [v["energy"], 0]
    groups += [(f"EASF{n:02d}", digits(e, 9), None) for n, e in enumerate(energies + [0] * 8, 1)]
    groups += [(f"EASD{n:02d}", digits(e, 9), None) for n, e in enumerate([v["energy"], 0, 0, 0], 1)]
    if v["injected"] is not None:
        groups += [("EAIT", digits(v["export"], 9), None)]
    groups += [(f"IRMS{n}", digits(c, 3), None) for n, c in enumerate(currents, 1)]
    groups += [(f"URMS{n}", digits(u, 3), None) for n, u in enumerate(voltages, 1)]
    groups += [("PREF", "12", None), ("PCOUP", "12", None), ("SINSTS", digits(v["power"], 5), None)]
    if len(currents) == 3:
        shares = phase_powers(v)
        groups += [(f"SINSTS{n}", digits(p, 5), None) for n, p in enumerate(shares, 1)]
    groups += [("SMAXSN", digits(v["power"], 5), stamp)]
    if v["injected"] is not None:
        groups += [("SINSTI", digits(v["injected"], 5), None), ("SMAXIN", digits(v["injected"], 5), stamp)]
    groups += [("STGE", "003A0001", None), ("MSG1", "PAS DE          MESSAGE         ", None),
               ("PRM", "07361794479930", None), ("RELAIS", "001", None), ("NTARF", f"{tariff:02d}", None),
               ("NJOURF", "00", None), ("NJOURF+1", "00", None)]
    return STX + b"".join(group("standard", label, data, stamp_, corrupt and label == "SINSTS")
                          for label, data, stamp_ in groups) + ETX


def phase_powers(v):
    """The drawn power shared by phase in proportion to the currents."""
    total = sum(v["currents"]) or 1
    return [v["power"] * c / total for c in v["currents"]]


def as_list(value, name):
    values = [float(x) for x in (value if isinstance(value, list) else [value])]
    if len(values) not in (1, 3):
        raise ValueError(f"{name}: one value (single-phase) or three (three-phase)")
    return values


def merged(base, update):
    """base with update's keys applied and checked; raises ValueError on a bad value."""
    values = dict(base)
    for key, value in update.items():
        if key in ("currents", "voltages"):
            values[key] = as_list(value, key)
        elif key in ("power", "injected", "energy", "export"):
            values[key] = None if value is None else float(value)
        elif key == "period":
            if value not in ("base", "hc", "hp"):
                raise ValueError("period: base, hc or hp")
            values[key] = value
        else:
            raise ValueError(f"unknown key {key}")
    return values


def read_values_file(path, values):
    try:
        with open(path) as file:
            update = json.load(file)
        if not isinstance(update, dict):
            raise ValueError("not a JSON object")
        return merged(values, update)
    except (OSError, ValueError) as error:  # json.JSONDecodeError is a ValueError
        print(f"tic_meter: {path}: {error}; keeping the previous values", file=sys.stderr, flush=True)
        return values


class Indexes:
    """The meter's energy indexes (Wh): they start from the values' `energy` and `export` (again when
    one of those changes) and grow with the power, the drawn energy going to the period in force."""

    def __init__(self):
        self.energy = self.export_start = None

    def advance(self, v, elapsed):
        if self.energy != v["energy"]:
            self.energy = v["energy"]
            self.hc = float(round(v["energy"] * 0.4))  # any split, as long as the sum is the index
            self.hp = v["energy"] - self.hc
        if self.export_start != v["export"]:
            self.export_start = self.export = v["export"]
        drawn = v["power"] * elapsed / 3600.0
        if v["period"] == "hc":
            self.hc += drawn
        else:
            self.hp += drawn
        self.export += (v["injected"] or 0.0) * elapsed / 3600.0
        # Whole Wh, so that HCHC + HCHP (EASF01 + EASF02) is exactly BASE (EAST).
        hc, hp = int(self.hc), int(self.hp)
        return {"energy": hc + hp, "energy_hc": hc, "energy_hp": hp, "export": int(self.export)}


def frame_values(values, indexes, elapsed):
    """This frame's values: voltages and power filled in, indexes advanced."""
    v = dict(values)
    phases = len(v["currents"])
    voltages = v["voltages"] or [230.0]
    v["voltages"] = voltages * phases if len(voltages) == 1 else voltages[:phases]
    if v["power"] is None:  # a producer injecting draws nothing
        v["power"] = 0.0 if v["injected"] else sum(c * u for c, u in zip(v["currents"], v["voltages"]))
    v.update(indexes.advance(v, elapsed))
    return v


def open_port(device, baudrate, period):
    """The port at 7E1. A write blocks at most a period, so that a reader that stops reading (a full
    pty buffer) cannot keep the meter past --lifetime."""
    timeout = max(period, 0.5)
    try:
        return serial.Serial(device, baudrate, bytesize=serial.SEVENBITS, parity=serial.PARITY_EVEN,
                             stopbits=serial.STOPBITS_ONE, write_timeout=timeout)
    except (serial.SerialException, termios.error) as error:
        if not os.path.realpath(device).startswith("/dev/pts/"):
            raise
        # Some kernels' pseudo-terminals ignore CS7/PARENB, and glibc then fails tcsetattr with EINVAL.
        # A pty has no line framing and the frames are 7-bit ASCII: 8N1 carries the same bytes.
        print(f"tic_meter: {device}: 7E1 refused ({error}), using 8N1 on this pseudo-terminal",
              file=sys.stderr, flush=True)
        return serial.Serial(device, baudrate, write_timeout=timeout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", required=True)
    parser.add_argument("--mode", choices=("historique", "standard"), required=True)
    parser.add_argument("--period", type=float, default=1.0, help="seconds between frame starts")
    parser.add_argument("--lifetime", type=float, default=300.0)
    parser.add_argument("--currents", default="5", help="A: one value (single-phase) or three, comma-separated")
    parser.add_argument("--voltages", default=None, help="V, as many as currents (default 230)")
    parser.add_argument("--power", type=float, default=None, help="apparent power drawn, VA")
    parser.add_argument("--values", default=None, help='JSON object, e.g. {"currents": [10,12,9], "power": 6900}')
    parser.add_argument("--values-file", default=None, help="JSON object read again before every frame")
    parser.add_argument("--corrupt-every", type=int, default=0, help="every Nth frame has a bad checksum")
    parser.add_argument("--stop-after", type=int, default=0, help="stop sending after N frames, port kept open")
    args = parser.parse_args()

    try:
        values = merged({"currents": [5.0], "voltages": None, "power": None, "injected": None,
                         "energy": 12_345_678.0, "export": 0.0, "period": "base"},
                        {"currents": [float(x) for x in args.currents.split(",")]})
        if args.voltages:
            values = merged(values, {"voltages": [float(x) for x in args.voltages.split(",")]})
        if args.power is not None:
            values = merged(values, {"power": args.power})
        if args.values:
            values = merged(values, json.loads(args.values))
    except ValueError as error:
        parser.error(str(error))

    port = open_port(args.device, 1200 if args.mode == "historique" else 9600, args.period)
    print("ready", flush=True)

    start = time.monotonic()
    deadline = start + args.lifetime
    indexes = Indexes()
    sent = 0
    next_frame = start
    last = start
    try:
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now < next_frame:
                time.sleep(min(next_frame - now, deadline - now))
                continue
            next_frame = max(next_frame + args.period, now)  # behind (slow line): no burst to catch up
            # At 1200 baud a historique frame takes about 2 s: like a meter sending back to back, wait
            # for the last frame to leave rather than pile frames up in the driver.
            while port.out_waiting and time.monotonic() < deadline:
                time.sleep(0.02)
            if args.values_file:
                values = read_values_file(args.values_file, values)
            now = time.monotonic()
            v = frame_values(values, indexes, now - last)
            last = now
            if args.stop_after and sent >= args.stop_after:
                continue  # cable pulled: nothing on the line, port still open
            sent += 1
            corrupt = args.corrupt_every > 0 and sent % args.corrupt_every == 0
            data = historique_frame(v, corrupt) if args.mode == "historique" else standard_frame(v, corrupt, time.time())
            try:
                port.write(data)
            except serial.SerialTimeoutException:
                print("tic_meter: write timed out (nobody reading?)", file=sys.stderr, flush=True)
    finally:
        port.close()


if __name__ == "__main__":
    main()
