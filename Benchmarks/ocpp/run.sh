#!/usr/bin/env bash
# OCPP benchmark (issue 15), release build: N simulated charge points (Benchmarks/ocpp/load.py, one
# asyncio process) connected to one bridge, each sending MeterValues every second, while an energy
# manager writes 5004 on random chargers' EVC08 slaves. Measured: memory per connection (bridge RSS
# with N connected minus before), MeterValues handled per second, bridge CPU, and EMS write →
# SetChargingProfile at the charge point (p50/p99). Baseline: the same with 10 charge points, in the
# same run. Then the same N as OCPP 2.0.1 charging stations (issue 26): EMS → SetChargingProfile p99
# (goal ≤ 200 ms at 1 000) and memory per connection (goal within 1.2× of 1.6J's in this run).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
PY=.build-venv/bin/python
BIG=${CHARGE_POINTS:-1000}; SECONDS_EACH=${SECONDS_EACH:-20}; SAMPLES=${SAMPLES:-100}
OCPP_PORT=${OCPP_PORT:-29000}; NORTH_BASE=${NORTH_BASE:-30000}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }

run_one() {   # $1: number of charge points, $2: OCPP version (1.6 or 2.0.1); prints one JSON line
  local n=$1 version=${2:-1.6}
  {
    echo "modbus: { bind: 127.0.0.1 }"
    echo "ocpp: { bind: 127.0.0.1, port: $OCPP_PORT, heartbeat_s: 300 }"
    echo "chargers:"
    for i in $(seq "$n"); do
      echo "  - { id: CP$i, driver: ocpp, ocpp: { version: \"$version\", password: password-$i, validity_s: 60, meter_interval_s: 1 }, max_current: 16, failsafe_current: 6, modbus: { port: $((NORTH_BASE + i - 1)) } }"
    done
  } > "$WORK/site-$n-$version.yaml"
  "$BIN" run --config "$WORK/site-$n-$version.yaml" --log-level error > "$WORK/bridge-$n-$version.log" 2>&1 &
  local bridge=$!; PIDS+=($bridge)
  for _ in $(seq 600); do grep -q "serving" "$WORK/bridge-$n-$version.log" 2>/dev/null && break; sleep 0.05; done
  sleep 1
  local before; before=$(rss_kb "$bridge")
  "$PY" Benchmarks/mqtt/bench.py idle --pid "$bridge" --seconds $((SECONDS_EACH + 8)) > "$WORK/cpu-$n-$version.json" &
  local cpu=$!
  "$PY" Benchmarks/ocpp/load.py --url-base "ws://127.0.0.1:$OCPP_PORT/ocpp/" --ids-prefix CP --count "$n" --password-prefix password- \
    --version "$version" --meter-interval 1 --seconds "$SECONDS_EACH" --modbus-port-base "$NORTH_BASE" --modbus-units "1..$n" --samples "$SAMPLES" \
    > "$WORK/load-$n-$version.json" 2> "$WORK/load-$n-$version.log" &
  local load=$!
  sleep $((SECONDS_EACH / 2 + 3))
  local during; during=$(rss_kb "$bridge")
  wait "$load"; wait "$cpu"
  python3 - "$n" "$before" "$during" "$WORK/load-$n-$version.json" "$WORK/cpu-$n-$version.json" "$version" <<'PY'
import json, sys
n, before, during = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
load = json.load(open(sys.argv[4])); cpu = json.load(open(sys.argv[5]))
print(json.dumps({"n": n, "version": sys.argv[6], "connected": load["connected"], "kib_per_connection": (during - before) / max(1, load["connected"]),
                  "rss_mb": during / 1024, "meter_values_per_s": load["meter_values_answered_per_s"],
                  "answer_ms_p50": load["answer_ms_p50"], "answer_ms_p99": load["answer_ms_p99"],
                  "ems_p50": load["ems_to_profile_ms_p50"], "ems_p99": load["ems_to_profile_ms_p99"],
                  "ems_samples": load["ems_samples"], "ems_timeouts": load.get("ems_timeouts"), "cpu_percent": cpu["cpu_percent"]}))
PY
  kill "$bridge"; wait "$bridge" 2>/dev/null || true
}

echo "== baseline: 10 charge points"
SMALL=$(run_one 10); echo "$SMALL"
echo "== $BIG charge points"
LARGE=$(run_one "$BIG"); echo "$LARGE"
echo "== $BIG charge points, OCPP 2.0.1"
V201=$(run_one "$BIG" 2.0.1); echo "$V201"
python3 - "$SMALL" "$LARGE" "$V201" <<'PY'
import json, sys
small, large, v201 = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
print("\n== summary")
print(f"{'version':>7} {'charge points':>14} {'connected':>9} {'KiB/conn':>9} {'RSS MB':>7} {'MeterValues/s':>14} {'answer p50/p99 ms':>18} {'EMS→profile p50/p99 ms':>24} {'CPU %':>6}")
for r in (small, large, v201):
    fmt = lambda v: "-" if v is None else f"{v:.1f}"
    print(f"{r['version']:>7} {r['n']:>14} {r['connected']:>9} {r['kib_per_connection']:>9.1f} {r['rss_mb']:>7.0f} {r['meter_values_per_s']:>14.0f} "
          f"{fmt(r['answer_ms_p50']) + ' / ' + fmt(r['answer_ms_p99']):>18} {fmt(r['ems_p50']) + ' / ' + fmt(r['ems_p99']):>24} {r['cpu_percent']:>6.1f}")
if small["ems_p99"] and large["ems_p99"]:
    print(f"EMS→profile p99 at {large['n']}: {large['ems_p99']:.0f} ms ({large['ems_p99'] / small['ems_p99']:.2f}x the baseline of {small['n']}); goal ≤ 200 ms")
if v201["ems_p99"]:
    print(f"OCPP 2.0.1 EMS→profile p99 at {v201['n']}: {v201['ems_p99']:.0f} ms; goal ≤ 200 ms")
if large["kib_per_connection"] > 0:
    ratio = v201["kib_per_connection"] / large["kib_per_connection"]
    print(f"OCPP 2.0.1 memory per connection: {v201['kib_per_connection']:.1f} KiB = {ratio:.2f}x 1.6J's {large['kib_per_connection']:.1f} KiB; goal ≤ 1.2x")
PY
