"""A SunSpec device served by pymodbus, its model chain laid out by pysunspec2.

pysunspec2 (the SunSpec Alliance's own library) builds each model's registers from its model
definitions — scale factors, "not implemented" values and all — so a test that reads them back
through chargebridge checks our reader against a second implementation.

Usage: sunspec_server.py --port PORT [--base 40000] [--unit 1] [--models 1,103,203,802]
                         --values-file FILE [--lifetime 120]
values JSON: {"1": {"Mn": "Fronius", "SN": "7"}, "103": {"W": 3500, "AphA": 5.1}, "802": {"SoC": 55.5}}
             — scaled values by point name; a point not given is "not implemented". Scale factors
             default to DEFAULT_SF (or 0) and may be given like any point. The file is read again
             whenever it changes, so a test can move the values while the bridge reads.
Registers outside the chain answer exception 02. Prints "ready" once serving.
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from pymodbus.constants import ExcCodes
from pymodbus.server import ServerAsyncStop, StartAsyncTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
import sunspec2.device as device

DEFAULT_SF = {"A_SF": -2, "V_SF": -1, "Hz_SF": -2, "PF_SF": -2, "SoC_SF": -1, "DoD_SF": -1, "SoH_SF": -1, "CellV_SF": -3}
END = [0xFFFF, 0x0000]


def model_words(model_id, values):
    model = device.Model(model_id)
    given = values.get(str(model_id), {})
    for name, point in model.points.items():
        if point.pdef.get("type") == "sunssf":
            point.set_value(given.get(name, DEFAULT_SF.get(name, 0)))
    for name, value in given.items():
        point = model.points[name]
        if point.pdef.get("type") == "sunssf":
            continue
        if isinstance(value, str) or point.pdef.get("sf") is None:
            point.set_value(value)
        else:
            point.cvalue = value
    data = model.get_mb()
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def chain(models, values):
    words = [0x5375, 0x6E53]  # "SunS"
    for model_id in models:
        words += model_words(model_id, values)
    return words + END


class Device:
    def __init__(self, args):
        self.args = args
        self.models = [int(m) for m in args.models.split(",")]
        self.stamp = None
        self.words = []
        self.refresh()

    def refresh(self):
        stamp = os.stat(self.args.values_file).st_mtime_ns
        if stamp == self.stamp:
            return
        with open(self.args.values_file, encoding="utf-8") as handle:
            values = json.load(handle)
        words = chain(self.models, values)
        if self.words and len(words) != len(self.words):
            raise SystemExit("the chain's length must not change while serving")
        self.words, self.stamp = words, stamp

    async def action(self, func_code, start, address, count, registers, values):
        if func_code != 3 or values is not None:
            return ExcCodes.ILLEGAL_FUNCTION
        base = self.args.base
        if address < base or address + count > base + len(self.words):
            return ExcCodes.ILLEGAL_ADDRESS
        self.refresh()
        for a in range(address, address + count):
            registers[a - start] = self.words[a - base]
        return None


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--base", type=int, default=40000)
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--models", default="1,103,203,802")
    parser.add_argument("--values-file", required=True)
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    served = Device(args)
    span = [SimData(address=args.base, values=[0] * len(served.words), datatype=DataType.REGISTERS)]
    bits = [SimData(address=0, values=[False], datatype=DataType.BITS)]
    other = [SimData(address=65535, values=[0], datatype=DataType.REGISTERS)]
    sim = SimDevice(id=args.unit, simdata=(bits, list(bits), span, other), action=served.action)

    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, lambda: asyncio.ensure_future(ServerAsyncStop()))
    loop.call_later(args.lifetime, lambda: asyncio.ensure_future(ServerAsyncStop()))
    loop.call_later(0.5, lambda: print("ready", flush=True))
    await StartAsyncTcpServer(context=sim, address=("127.0.0.1", args.port))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
