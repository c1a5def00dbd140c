#!/usr/bin/env python3
"""A dimming contact's edge (an FNN control box's W4, here the MQTT input `w4`) to every charger's
lower setpoint on the bridge's MQTT state: how long, against the control period and the broker's own
round trip measured in the same run. paho-mqtt, loopback only; every wait bounded."""
import argparse, statistics, threading, time
import paho.mqtt.client as mqtt

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--chargers", type=int, default=20)
parser.add_argument("--edges", type=int, default=20)
parser.add_argument("--tick-ms", type=float, default=100)
args = parser.parse_args()

setpoints, lock, changed = {}, threading.Lock(), threading.Condition()
echo = []

def on_message(client, userdata, message):
    now = time.monotonic()
    payload = message.payload.decode()
    with changed:
        if message.topic == "bench/echo":
            echo.append(now - float(payload))
        else:
            setpoints[message.topic.split("/")[2]] = (payload, now)
        changed.notify_all()

client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
client.on_message = on_message
client.connect("127.0.0.1", args.port)
client.subscribe([("chargebridge/charger/+/setpoint", 0), ("bench/echo", 0)])
client.loop_start()

def wait(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    with changed:
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit("timed out waiting for the chargers")
            changed.wait(left)

ids = [f"cp{i}" for i in range(1, args.chargers + 1)]
full = lambda: all(setpoints.get(i, ("0",))[0] == "16" for i in ids)
dimmed = lambda since: all(i in setpoints and setpoints[i][1] > since and int(setpoints[i][0]) < 16 for i in ids)
wait(full, 60)

# baseline: the broker's own round trip, publisher to subscriber
for _ in range(50):
    client.publish("bench/echo", repr(time.monotonic()))
    time.sleep(0.02)
time.sleep(0.5)

latencies = []
for _ in range(args.edges):
    t0 = time.monotonic()
    client.publish("chargebridge/input/w4/active/set", "ON")
    wait(lambda: dimmed(t0))
    latencies.append(max(setpoints[i][1] for i in ids) - t0)
    client.publish("chargebridge/input/w4/active/set", "OFF")
    wait(full, 60)

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

tick = args.tick_ms / 1000
print(f"broker round trip: p50 {pct(echo, 50) * 1000:.1f} ms, p99 {pct(echo, 99) * 1000:.1f} ms")
print(f"W4 edge -> all {args.chargers} setpoints lower on MQTT ({args.edges} edges): p50 {pct(latencies, 50) * 1000:.0f} ms, "
      f"p99 {pct(latencies, 99) * 1000:.0f} ms; p99 = control period {args.tick_ms:.0f} ms + {(pct(latencies, 99) - tick) * 1000:.0f} ms "
      f"(goal: + 100 ms); {pct(latencies, 99) / tick:.2f}x the control period")
client.loop_stop()
