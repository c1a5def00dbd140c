#!/usr/bin/env bash
# P1 reaction (issue 17), release build: a DSMR 5 meter (Tests/Peers/p1_meter.py, telegrams every
# second, each checked by dsmr-parser) on a socat pseudo-terminal is the grid meter of a 32 A site
# with one simulated car taking 16 A. A 20 A house load step at a random moment of the telegram
# period must bring the car to 7 A; measured from the step to the current read back over Modbus.
# Baseline in the same run: the same step on a Modbus PAC2200 polled every 500 ms
# (Tests/Peers/load_step.py). Goal: P1 p99 ≤ 1.2 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
PY=.build-venv/bin/python
STEPS=${STEPS:-100}
CHARGER=${CHARGER_PORT:-23840}; METER=${METER_PORT:-23841}

socat -d -d "pty,raw,echo=0,link=$WORK/meter" "pty,raw,echo=0,link=$WORK/bridge" 2> "$WORK/socat.log" &
PIDS+=($!)
for _ in $(seq 100); do [ -e "$WORK/bridge" ] && break; sleep 0.05; done
echo '{"currents": [5, 5, 5]}' > "$WORK/load.json"
"$PY" Tests/Peers/p1_meter.py --device "$WORK/meter" --period 1 --values-file "$WORK/load.json" --lifetime 3600 > "$WORK/p1.log" 2>&1 &
PIDS+=($!)

site() {   # $1: the grid meter entry
  cat > "$WORK/site.yaml" <<YAML
site: { grid_meter: grid, fuse_a: 32, meter: excluding, increase_interval_s: 0.5, resume_delay_s: 0, fallback_a: 0, meter_stale_s: 3 }
modbus: { bind: 127.0.0.1 }
meters: [ $1 ]
chargers:
  - { id: ev, max_current: 16, failsafe_current: 16, modbus: { port: $CHARGER },
      simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] } }
YAML
}

echo "== 1/2 baseline: Modbus PAC2200 polled every 500 ms, $STEPS steps"
"$PY" Tests/Peers/load_step.py --meter-port "$METER" --charger-port "$CHARGER" --steps "$STEPS" > "$WORK/modbus.log" 2>&1 &
STEPPER=$!; PIDS+=($STEPPER)
for _ in $(seq 100); do grep -q ready "$WORK/modbus.log" 2>/dev/null && break; sleep 0.05; done
site "{ id: grid, map: pac2200, tcp: \"127.0.0.1:$METER\", unit: 1, period_ms: 500, timeout_ms: 300 }"
"$BIN" check-config --config "$WORK/site.yaml" > /dev/null
"$BIN" run --config "$WORK/site.yaml" --log-level warning > "$WORK/bridge-modbus.log" 2>&1 &
BRIDGE=$!; PIDS+=($BRIDGE)
wait "$STEPPER" || true
BASE=$(grep latencies_ms "$WORK/modbus.log" | tail -1)
kill "$BRIDGE"; wait "$BRIDGE" 2>/dev/null || true

echo "== 2/2 P1 telegrams every second, $STEPS steps"
site "{ id: grid, p1: { device: $WORK/bridge } }"
"$BIN" run --config "$WORK/site.yaml" --log-level warning > "$WORK/bridge-p1.log" 2>&1 &
BRIDGE=$!; PIDS+=($BRIDGE)
P1=$("$PY" - "$CHARGER" "$WORK/load.json" "$STEPS" <<'PYEOF'
import json, os, random, sys, time
from pymodbus.client import ModbusTcpClient
port, load, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def set_load(a):
    with open(load + ".tmp", "w") as f: json.dump({"currents": [a, a, a]}, f)
    os.replace(load + ".tmp", load)
client = ModbusTcpClient("127.0.0.1", port=port)
for _ in range(100):
    if client.connect(): break
    time.sleep(0.2)
def current():
    r = client.read_input_registers(1008, count=1, device_id=255)
    return r.registers[0] / 1000 if not r.isError() else -1
def wait(pred, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred(current()): return True
        time.sleep(0.002)
    return False
latencies, timeouts = [], 0
for _ in range(steps):
    set_load(5)
    if not wait(lambda a: a >= 15.99, 20): timeouts += 1; continue
    time.sleep(random.uniform(0.05, 1.05))   # a random moment of the 1 s telegram period
    set_load(25)
    start = time.monotonic()
    if wait(lambda a: 0 < a <= 7.01, 5): latencies.append(round((time.monotonic() - start) * 1000, 1))
    else: timeouts += 1
print(json.dumps({"latencies_ms": latencies, "timeouts": timeouts}))
PYEOF
)
kill "$BRIDGE"; wait "$BRIDGE" 2>/dev/null || true

"$PY" - "$BASE" "$P1" <<'PYEOF'
import json, statistics, sys
def summary(text):
    d = json.loads(text); xs = sorted(d["latencies_ms"])
    p99 = xs[min(len(xs) - 1, int(round((len(xs) - 1) * 0.99)))]
    return statistics.median(xs), p99, max(xs), len(xs), d["timeouts"]
b, p = summary(sys.argv[1]), summary(sys.argv[2])
print()
print(f"Modbus PAC2200 every 500 ms: p50 {b[0]:.0f} ms, p99 {b[1]:.0f} ms, max {b[2]:.0f} ms ({b[3]} steps, {b[4]} timeouts)")
print(f"P1 telegrams every 1 s:      p50 {p[0]:.0f} ms, p99 {p[1]:.0f} ms, max {p[2]:.0f} ms ({p[3]} steps, {p[4]} timeouts); goal p99 ≤ 1200 ms")
print(f"p99 ÷ telegram period: {p[1] / 1000:.2f} (Modbus: p99 ÷ poll period {b[1] / 500:.2f})")
PYEOF
