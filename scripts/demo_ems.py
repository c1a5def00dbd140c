"""A tiny energy manager for the demo (pymodbus): takes the garage charger on port 1502, sets
8 A then 14 A while writing the alive register, then goes silent so the failsafe shows."""
import time

from pymodbus.client import ModbusTcpClient

UNIT = 255


def say(text):
    print(f"[ems] {text}", flush=True)


client = ModbusTcpClient("127.0.0.1", port=1502, timeout=2, retries=0)
for _ in range(50):
    if client.connect():
        break
    time.sleep(0.2)
time.sleep(4)
say("garage: failsafe current 10 A, timeout 6 s, charging current 8 A, alive")
client.write_register(2000, 10, device_id=UNIT)
client.write_register(2002, 6, device_id=UNIT)
client.write_register(5004, 8, device_id=UNIT)
for step in range(14):
    if step == 7:
        say("garage: charging current 14 A")
        client.write_register(5004, 14, device_id=UNIT)
    client.write_register(6000, 1, device_id=UNIT)
    time.sleep(1)
say("garage: going silent (no more alive writes) - the bridge falls back to the failsafe current")
time.sleep(10)
client.close()
