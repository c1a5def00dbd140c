"""Drives the standby benchmark (see run.sh): processes, kills and the emulator's write log."""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import time

parser = argparse.ArgumentParser()
parser.add_argument("--bin", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--cycles", type=int, default=8)
args = parser.parse_args()
work = args.work
children = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command, log):
    process = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    children.append(process)
    return process


def wait_for(path, text, limit=20):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if os.path.exists(path) and text in open(path).read():
            return
        time.sleep(0.02)
    raise SystemExit(f"{path}: no '{text}' within {limit} s")


broker_port = free_port()
with open(f"{work}/mosquitto.conf", "w") as conf:
    conf.write(f"listener {broker_port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n")
start(["/usr/sbin/mosquitto", "-c", f"{work}/mosquitto.conf"], f"{work}/mosquitto.log")
wait_for(f"{work}/mosquitto.log", f"on port {broker_port}")

chargers = [free_port(), free_port()]
events = f"{work}/emulator.log"
start([".build-venv/bin/python", "Tests/Peers/evc04_emulator.py", "--ports", ",".join(map(str, chargers)),
       "--events", "--alive-events", "--lifetime", "3600"], events)
wait_for(events, "ready")


def writes(after):
    """(time, port, peer) of every write after `after` (Unix seconds)."""
    found = []
    for line in open(events):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if "peer" in event and event["t"] > after:
            found.append((event["t"], event["port"], event["peer"]))
    return found


def every_charger_written(after, exclude, limit=30):
    """Unix time by which every charger got a write after `after` from a connection not in `exclude`."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        firsts = {}
        for t, port, peer in writes(after):
            if peer not in exclude and port not in firsts:
                firsts[port] = t
        if len(firsts) == len(chargers):
            return max(firsts.values())
        time.sleep(0.02)
    raise SystemExit("a charger was never written")


def peers_since(after):
    return {peer for _, _, peer in writes(after)}


def config(role, standby):
    north = [free_port() for _ in chargers]
    lines = [f"  - {{ id: cp{i + 1}, driver: vestel, southbound: {{ tcp: \"127.0.0.1:{port}\", period_ms: 250, failsafe_timeout_s: 10 }}, "
             f"max_current: 16, failsafe_current: 16, modbus: {{ port: {n} }} }}" for i, (port, n) in enumerate(zip(chargers, north))]
    text = (f"modbus: {{ bind: 127.0.0.1 }}\nmqtt: {{ host: 127.0.0.1, port: {broker_port}, discovery: false }}\n"
            f"storage: {{ data_dir: {work}/{role} }}\n"
            + (f"standby: {{ role: {role}, instance: {role}, lease_s: 6 }}\n" if standby else "")
            + "chargers:\n" + "\n".join(lines) + "\n")
    path = f"{work}/{role}.yaml"
    open(path, "w").write(text)
    return path


def run(role, standby=True):
    return start([args.bin, "run", "--config", config(role, standby), "--log-level", "info"], f"{work}/{role}-{time.time()}.log")


# Baseline: cold starts of a single bridge
cold = []
for _ in range(5):
    began = time.time()
    known = peers_since(0)
    bridge = run("single", standby=False)
    cold.append(every_charger_written(began, known) - began)
    bridge.send_signal(signal.SIGTERM)
    bridge.wait(10)
    time.sleep(0.5)

main = run("main")
time.sleep(2)
backup = run("backup")
every_charger_written(time.time() - 1, set())
time.sleep(4)

take_overs, hand_backs = [], []
for _ in range(args.cycles):
    time.sleep(3)
    known = peers_since(0)
    killed = time.time()
    main.send_signal(signal.SIGKILL)
    main.wait()
    take_overs.append(every_charger_written(killed, known) - killed)
    time.sleep(3)
    known = peers_since(0)
    restarted = time.time()
    main = run("main")
    back = every_charger_written(restarted, known)
    hand_backs.append(back - restarted)

for process in children:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
for process in children:
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def line(name, xs):
    return f"{name}: p50 {statistics.median(xs):.2f} s, max {max(xs):.2f} s ({len(xs)} runs)"


print()
print(line("baseline: a single bridge's cold start until every charger is written", cold))
print(line("kill -9 of the main instance until the backup wrote every charger", take_overs) + "; goal ≤ 10 s")
print(line("main instance restarted until it wrote every charger (hand-back)", hand_backs))
print(f"take-over ÷ cold start (p50): {statistics.median(take_overs) / statistics.median(cold):.1f}")
