"""Reaction time of chargebridge's power optimizer, measured from outside with real peers.

A pymodbus server plays a Siemens PAC2200 grid meter (registers encoded with struct) measuring the
house only (meter excluding the chargers). The house load jumps by 20 A per phase; the script
measures the time until the charger's current (EVC08 input register 1008, read over Modbus TCP
from chargebridge) shows the reduced setpoint, then lets the load fall back and the EV recover.
Prints one JSON object: {"latencies_ms": [...], "timeouts": n}.

Usage: load_step.py --meter-port M --charger-port P --steps N   (prints "ready" once the meter serves)
"""
import argparse
import asyncio
import json
import random
import struct
import time

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.server import ServerAsyncStop, StartAsyncTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

VOLTAGE = 230.0
house = {"amperes": 5.0}


def pac2200_registers(start, count):
    """Holding registers start…start+count of a PAC2200 seeing `house` amperes on each phase."""
    amps = house["amperes"]
    values = {}
    def put(address, value):
        hi, lo = struct.unpack(">HH", struct.pack(">f", value))
        values[address], values[address + 1] = hi, lo
    for phase in range(3):
        put(1 + 2 * phase, VOLTAGE)
        put(13 + 2 * phase, amps)
        put(25 + 2 * phase, amps * VOLTAGE)
    put(55, 50.0)
    put(65, 3 * amps * VOLTAGE)
    return [values.get(a, 0) for a in range(start, start + count)]


async def meter_action(function_code, start_address, address, count, current_registers, set_values):
    fresh = pac2200_registers(start_address, len(current_registers))
    current_registers[:] = fresh
    return None


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--meter-port", type=int, required=True)
    parser.add_argument("--charger-port", type=int, required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--high", type=float, default=16.0, help="EV current before a step, A")
    parser.add_argument("--low", type=float, default=7.0, help="setpoint expected after the step, A")
    parser.add_argument("--jump", type=float, default=20.0)
    args = parser.parse_args()

    holding = [SimData(address=0, values=[0] * 900, datatype=DataType.REGISTERS)]
    device = SimDevice(id=0, simdata=([SimData(address=60000, values=[False], datatype=DataType.BITS)],
                                      [SimData(address=60000, values=[False], datatype=DataType.BITS)],
                                      holding, [SimData(address=60000, values=[0], datatype=DataType.REGISTERS)]),
                       action=meter_action)
    server = asyncio.create_task(StartAsyncTcpServer(context=device, address=("127.0.0.1", args.meter_port)))
    await asyncio.sleep(0.5)
    print("ready", flush=True)

    client = AsyncModbusTcpClient("127.0.0.1", port=args.charger_port, timeout=2, retries=0)
    for _ in range(100):
        if await client.connect():
            break
        await asyncio.sleep(0.2)

    async def ev_current():
        reply = await client.read_input_registers(1008, count=1, device_id=255)
        return reply.registers[0] / 1000

    async def wait_until(predicate, limit):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if predicate(await ev_current()):
                return True
            await asyncio.sleep(0.002)
        return False

    latencies, timeouts = [], 0
    base = house["amperes"]
    for _ in range(args.steps):
        house["amperes"] = base
        if not await wait_until(lambda amps: amps >= args.high - 0.01, 20):
            timeouts += 1
            continue
        # a random moment within the meter's poll period, so the steps sample every phase of it
        await asyncio.sleep(random.uniform(0.05, 0.55))
        house["amperes"] = base + args.jump
        started = time.monotonic()
        if await wait_until(lambda amps: amps <= args.low + 0.01, 5):
            latencies.append((time.monotonic() - started) * 1000)
        else:
            timeouts += 1
    house["amperes"] = base
    client.close()
    print(json.dumps({"latencies_ms": [round(x, 1) for x in latencies], "timeouts": timeouts}), flush=True)
    await ServerAsyncStop()
    server.cancel()


if __name__ == "__main__":
    asyncio.run(main())
