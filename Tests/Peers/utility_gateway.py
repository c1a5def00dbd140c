"""A grid operator's gateway (§14a EnWG control box) served by pymodbus: a power limit register
and a heartbeat register that counts while the gateway is "alive".

Holding registers from 0: --limit-address holds the limit as written (the test writes it over
Modbus); --heartbeat-address changes every 0.5 s while the register at --control-address is
non-zero (write 0 there to freeze the heartbeat, as a hung gateway would, and 1 to start it again).

Usage: utility_gateway.py --tcp PORT [--unit 1] [--limit 65535] [--lifetime 120]
Prints "ready" once serving; stops on SIGTERM or after --lifetime seconds.
"""
import argparse
import asyncio
import logging
import signal
import sys
import time

from pymodbus.server import ServerAsyncStop, StartAsyncTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

REGISTERS = 300


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tcp", type=int, required=True)
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--limit", type=int, default=65535, help="initial raw limit register value")
    parser.add_argument("--limit-address", type=int, default=100)
    parser.add_argument("--heartbeat-address", type=int, default=101)
    parser.add_argument("--control-address", type=int, default=200)
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    values = [0] * REGISTERS
    values[args.limit_address] = args.limit
    values[args.control_address] = 1

    async def beat(function_code, start_address, address, count, registers, set_values):
        # read or written, the heartbeat shows the time in half seconds while the gateway "runs"
        if registers[args.control_address - start_address] != 0:
            registers[args.heartbeat_address - start_address] = int(time.monotonic() * 2) & 0xFFFF
        return None

    unused = [SimData(address=60000, values=[0], datatype=DataType.REGISTERS)]
    bits = [SimData(address=60000, values=[False], datatype=DataType.BITS)]
    device = SimDevice(id=args.unit, simdata=(bits, list(bits), [SimData(address=0, values=values, datatype=DataType.REGISTERS)], unused),
                       action=beat)

    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, lambda: asyncio.ensure_future(ServerAsyncStop()))
    loop.call_later(args.lifetime, lambda: asyncio.ensure_future(ServerAsyncStop()))
    loop.call_later(0.5, lambda: print("ready", flush=True))
    await StartAsyncTcpServer(context=device, address=("127.0.0.1", args.tcp))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
