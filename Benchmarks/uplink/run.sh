#!/bin/sh
# The CPO uplink's added latency on a remote start: 100 simulated chargers forwarded to one backend
# (Tests/Peers/ocpp_backend.py, the Python `ocpp` library), each waiting for a start (autostart off,
# a car plugged). The backend sends RemoteStartTransaction to each in turn; measured per charger:
#   baseline — the backend's own round trip of the RemoteStartTransaction (sent → answered);
#   added    — from that answer to the charger's StartTransaction arriving at the backend
#              (the bridge took the start: force set, cap lifted, transaction opened).
# Usage: Benchmarks/uplink/run.sh [CHARGERS] (100). Needs a debug build (swift build) and the venv.
set -eu
cd "$(dirname "$0")/../.."
N=${1:-100}
PY=.build-venv/bin/python
BIN=.build/debug/chargebridge
DIR=$(mktemp -d)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=$((24000 + $$ % 2000))
: > "$DIR/commands"
{
  echo "modbus: { bind: 127.0.0.1 }"
  echo "storage: { data_dir: $DIR/data }"
  echo "uplink: { url: \"ws://127.0.0.1:$PORT/ocpp\", password: bench-secret-1, autostart: false, meter_interval_s: 300 }"
  echo "chargers:"
  i=0
  while [ $i -lt "$N" ]; do
    echo "  - { id: c$i, max_current: 16, failsafe_current: 16, modbus: { port: $((BASE + i)) }, simulation: { evs: [{ arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 60, soc: 0.3 }] }, uplink: {} }"
    i=$((i + 1))
  done
} > "$DIR/chargebridge.yaml"
$PY Tests/Peers/ocpp_backend.py --port "$PORT" --password bench-secret-1 --commands "$DIR/commands" --lifetime 300 > "$DIR/backend.log" 2>&1 &
BACKEND=$!
sleep 1
$BIN run --config "$DIR/chargebridge.yaml" --log-level warning > "$DIR/bridge.log" 2>&1 &
BRIDGE=$!
trap 'kill $BRIDGE $BACKEND 2>/dev/null || true' EXIT
# every charger booted and reporting a plugged car
for _ in $(seq 1 120); do
  [ "$(grep -c '"Preparing"\|"SuspendedEVSE"\|"SuspendedEV"' "$DIR/backend.log" || true)" -ge "$N" ] && break
  sleep 0.5
done
sleep 2
i=0
while [ $i -lt "$N" ]; do
  echo "{\"cmd\":\"remote_start\",\"cp\":\"c$i\",\"id_tag\":\"BENCH$i\"}" >> "$DIR/commands"
  sleep 0.05
  i=$((i + 1))
done
sleep 5
$PY - "$DIR/backend.log" "$N" <<'PYEOF'
import json, sys
answers, starts = {}, {}
for line in open(sys.argv[1]):
    try:
        event = json.loads(line)
    except ValueError:
        continue
    if event.get("event") == "answer" and event.get("cmd") == "remote_start":
        answers[event["cp"]] = event
    elif event.get("event") == "message" and event["message"][0] == 2 and event["message"][2] == "StartTransaction":
        starts.setdefault(event["cp"], event["t"])
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000 if values else float("nan")
baseline = [a["answered"] - a["sent"] for a in answers.values() if "answered" in a]
added = [starts[cp] - a["answered"] for cp, a in answers.items() if cp in starts]
print(f"chargers {sys.argv[2]}, answered {len(answers)}, started {len(added)}")
print(f"baseline (backend's RemoteStart round trip): p50 {pct(baseline, 50):.1f} ms  p99 {pct(baseline, 99):.1f} ms")
print(f"added (answer → StartTransaction at the backend): p50 {pct(added, 50):.1f} ms  p99 {pct(added, 99):.1f} ms  (issue figure: p99 ≤ 50 ms)")
PYEOF
