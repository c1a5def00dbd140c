"""A Modbus meter served by pymodbus (a Modbus implementation not written by us).

The registers are encoded here with Python's struct module from a JSON spec, independently of
chargebridge's codec, so a test that reads them back through chargebridge checks our decoding
against a second implementation.

spec JSON: {"unit": 1, "values": [{"function": "holding", "address": 13, "type": "f32",
            "word_order": "big", "byte_order": "big", "value": 7.25}, ...]}
Usage: meter_server.py --spec FILE (--tcp PORT | --rtu DEVICE --baud 19200 --parity N)
Prints "ready" once serving; stops on SIGTERM or after --lifetime seconds.
"""
import argparse
import asyncio
import json
import logging
import signal
import struct
import sys

from pymodbus import FramerType
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer, ServerAsyncStop
from pymodbus.simulator import DataType, SimData, SimDevice

FORMATS = {"u16": "H", "i16": "h", "u32": "I", "i32": "i", "u64": "Q", "i64": "q", "f32": "f", "f64": "d"}
FUNCTIONS = ["coil", "discrete", "holding", "input"]


def encode(entry):
    kind = entry["type"]
    if kind == "raw":
        return list(entry["value"])
    fmt = ">" + FORMATS[kind]
    value = entry["value"]
    if kind in ("f32", "f64"):
        value = float(value)
    data = struct.pack(fmt, value)
    words = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    if entry.get("word_order", "big") == "little":
        words.reverse()
    if entry.get("byte_order", "big") == "little":
        words = [((w & 0xFF) << 8) | (w >> 8) for w in words]
    return words


def build_device(spec):
    tables = {name: {} for name in FUNCTIONS}
    for entry in spec["values"]:
        for offset, word in enumerate(encode(entry)):
            tables[entry["function"]][entry["address"] + offset] = word
    blocks = []
    for name in FUNCTIONS:
        table = tables[name] or {60000: 0}
        start, end = min(table), max(table)
        # Reserved registers between defined ones read as 0, like on real meters.
        dense = [table.get(address, 0) for address in range(start, end + 1)]
        if name in ("coil", "discrete"):
            blocks.append([SimData(address=start, values=[bool(v) for v in dense], datatype=DataType.BITS)])
        else:
            blocks.append([SimData(address=start, values=dense, datatype=DataType.REGISTERS)])
    return SimDevice(id=spec.get("unit", 0), simdata=tuple(blocks))


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--tcp", type=int)
    parser.add_argument("--rtu")
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--parity", default="N")
    parser.add_argument("--lifetime", type=float, default=300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with open(args.spec, encoding="utf-8") as handle:
        device = build_device(json.load(handle))

    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, lambda: asyncio.ensure_future(ServerAsyncStop()))
    loop.call_later(args.lifetime, lambda: asyncio.ensure_future(ServerAsyncStop()))
    loop.call_later(0.5, lambda: print("ready", flush=True))
    if args.tcp is not None:
        await StartAsyncTcpServer(context=device, address=("127.0.0.1", args.tcp))
    else:
        await StartAsyncSerialServer(context=device, framer=FramerType.RTU, port=args.rtu,
                                     baudrate=args.baud, parity=args.parity, bytesize=8, stopbits=1)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
