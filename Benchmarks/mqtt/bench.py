#!/usr/bin/env python3
"""MQTT benchmark probes (paho-mqtt and pymodbus, not chargebridge's code). Prints one JSON line.

  broker   the broker alone: round-trip latency publish -> subscriber, and the rate one paho
           publisher sustains (the baseline the bridge is compared with)
  idle     CPU and memory of a process over --seconds (the bridge without MQTT)
  bridge   messages per second the bridge publishes, CPU and memory meanwhile; latency from a
           charger state change (an EMS writes the charging current over Modbus) to the MQTT
           message, and from an MQTT command to the new setpoint on its state topic
"""
import argparse, json, os, random, statistics, threading, time
import paho.mqtt.client as mqtt
from pymodbus.client import ModbusTcpClient

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def usage(pid, seconds, during=None):
    start_cpu, start = proc_cpu(pid), time.monotonic()
    result = during() if during else time.sleep(seconds)
    elapsed = time.monotonic() - start
    return {"cpu_percent": 100 * (proc_cpu(pid) - start_cpu) / elapsed, "rss_mb": proc_rss_mb(pid), "seconds": elapsed}, result


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round((len(xs) - 1) * p)))]


def client(port, on_message=None, subscribe=()):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    ready = threading.Event()
    def on_connect(c, u, f, reason, p):
        for topic in subscribe:
            c.subscribe(topic, qos=1)
        ready.set()
    c.on_connect = on_connect
    if on_message:
        c.on_message = on_message
    c.connect("127.0.0.1", port)
    c.loop_start()
    ready.wait(5)
    time.sleep(0.3)
    return c


def broker_baseline(port, samples, burst):
    arrived, got = {}, threading.Event()
    def on_message(c, u, m):
        if m.topic == "bench/rtt":
            arrived[m.payload.decode()] = time.monotonic()
            got.set()
        else:
            arrived["count"] = arrived.get("count", 0) + 1
            if arrived["count"] == burst:
                arrived["last"] = time.monotonic()
    sub = client(port, on_message, ["bench/#"])
    pub = client(port)
    rtts = []
    for i in range(samples):
        got.clear()
        start = time.monotonic()
        pub.publish("bench/rtt", str(i), qos=1)
        got.wait(2)
        rtts.append((arrived.get(str(i), start + 2) - start) * 1000)
    start = time.monotonic()
    for i in range(burst):
        pub.publish(f"bench/rate/{i % 100}", "12.34", qos=1, retain=True)
    deadline = time.monotonic() + 30
    while "last" not in arrived and time.monotonic() < deadline:
        time.sleep(0.01)
    rate = burst / (arrived.get("last", deadline) - start)
    for c in (sub, pub):
        c.loop_stop(); c.disconnect()
    return {"rtt_ms_p50": statistics.median(rtts), "rtt_ms_p99": pct(rtts, 0.99), "publisher_rate": rate}


def bridge(port, pid, seconds, modbus_port, chargers, samples):
    counts = {"live": 0}
    latest, changed = {}, threading.Condition()
    def on_message(c, u, m):
        if not m.retain:
            counts["live"] += 1
        with changed:
            latest[m.topic] = (m.payload.decode("utf-8", "replace"), time.monotonic())
            changed.notify_all()
    sub = client(port, on_message, ["chargebridge/#"])
    time.sleep(1)   # the retained flood on subscribe is not the sustained rate

    def count():
        before = counts["live"]
        time.sleep(seconds)
        return counts["live"] - before
    load, live = usage(pid, seconds, count)

    def wait_for(topic, payload, since, timeout=5):
        deadline = time.monotonic() + timeout
        with changed:
            while time.monotonic() < deadline:
                value = latest.get(topic)
                if value and value[0] == payload and value[1] >= since:
                    return value[1]
                changed.wait(0.05)
        return None

    # a charger state change: an EMS writes the charging current (alive first: no failsafe)
    ems = ModbusTcpClient("127.0.0.1", port=modbus_port)
    ems.connect()
    state_latency = []
    for i in range(samples):
        unit = 1 + i % chargers
        ems.write_register(6000, 1, device_id=unit)
        value = 10 + (i // chargers) % 2 * 2 + (i % 3)
        current = latest.get(f"chargebridge/charger/cp{unit}/request", ("", 0))[0]
        if current == str(value):
            value += 1
        time.sleep(random.uniform(0, 0.15))   # at a random moment of the bridge's 100 ms control tick
        start = time.monotonic()
        ems.write_register(5004, value, device_id=unit)
        arrived = wait_for(f"chargebridge/charger/cp{unit}/request", str(value), start)
        if arrived:
            state_latency.append((arrived - start) * 1000)
    ems.close()

    # an MQTT command: current limit -> setpoint on its state topic
    pub = client(port)
    command_latency = []
    for i in range(samples):
        unit = 1 + i % chargers
        value = 7 + i % 5
        start = time.monotonic()
        pub.publish(f"chargebridge/charger/cp{unit}/current_limit/set", str(value), qos=1)
        arrived = wait_for(f"chargebridge/charger/cp{unit}/current_limit", str(value), start)
        if arrived:
            command_latency.append((arrived - start) * 1000)
    for c in (sub, pub):
        c.loop_stop(); c.disconnect()
    return {
        "rate": live / load["seconds"], **load,
        "state_ms_p50": statistics.median(state_latency), "state_ms_p99": pct(state_latency, 0.99), "state_samples": len(state_latency),
        "command_ms_p50": statistics.median(command_latency), "command_ms_p99": pct(command_latency, 0.99), "command_samples": len(command_latency),
    }


parser = argparse.ArgumentParser()
parser.add_argument("probe", choices=["broker", "idle", "bridge"])
parser.add_argument("--port", type=int)
parser.add_argument("--pid", type=int)
parser.add_argument("--seconds", type=float, default=20)
parser.add_argument("--modbus-port", type=int)
parser.add_argument("--chargers", type=int, default=100)
parser.add_argument("--samples", type=int, default=100)
args = parser.parse_args()
if args.probe == "broker":
    print(json.dumps(broker_baseline(args.port, args.samples, 20000)))
elif args.probe == "idle":
    print(json.dumps(usage(args.pid, args.seconds)[0]))
else:
    print(json.dumps(bridge(args.port, args.pid, args.seconds, args.modbus_port, args.chargers, args.samples)))
