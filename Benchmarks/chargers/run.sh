#!/usr/bin/env bash
# Charger-driver benchmark (issue 14), release build:
# 1. requests per poll for every charger map, read against the brand's own emulator: the driver's
#    status poll as the planner merges it, `read` of every quantity coalesced, and the baseline of
#    one request per quantity (same emulator, same run);
# 2. CPU of the bridge driving N chargers (default 100) southbound over Modbus TCP at a 1 s poll,
#    against the baseline of the same bridge with N simulated chargers (no southbound I/O). The
#    chargers it drives are N EVC08 slaves of a second chargebridge (the vestel-evc04 map).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
PY=.build-venv/bin/python
N=${CHARGERS:-100}; SECONDS_EACH=${SECONDS_EACH:-30}; BASE_PORT=${BASE_PORT:-24100}

echo "== 1/2 requests per poll, every charger map against its emulator"
printf '%-26s %10s %18s %14s %20s\n' map quantities "driver status poll" "read, merged" "read, one per qty"
port=$((BASE_PORT + 900))
for module in Tests/Peers/evc04_emulator.py Tests/Peers/chargers/*.py; do
  name=$(basename "$module" .py); map=${name//_/-}
  if [ "$name" = evc04_emulator ]; then
    map=vestel-evc04
    "$PY" "$module" --ports "$port" --lifetime 60 > "$WORK/$name.log" 2>&1 &
  else
    "$PY" "$module" --port "$port" --lifetime 60 > "$WORK/$name.log" 2>&1 &
  fi
  PIDS+=($!)
  unit=$(awk '/^transport:/{t=1} t && /unit:/{gsub(/[^0-9]/,"",$2); print $2; exit}' "Registers/chargers/$map.yaml")
  for _ in $(seq 100); do grep -q ready "$WORK/$name.log" 2>/dev/null && break; sleep 0.05; done
  merged=$("$BIN" read --map "$map" --tcp "127.0.0.1:$port" --unit "$unit" --stats --polls 5)
  single=$("$BIN" read --map "$map" --tcp "127.0.0.1:$port" --unit "$unit" --stats --polls 5 --one-request-per-quantity)
  quantities=$(grep -o 'stats: [0-9]* quantities' <<<"$merged" | grep -o '[0-9]*')
  status=$(grep -o "status poll: [0-9]* requests" <<<"$merged" | grep -o '[0-9]*')
  all=$(grep -o '[0-9]* requests per poll' <<<"$merged" | grep -o '^[0-9]*')
  one=$(grep -o '[0-9]* requests per poll' <<<"$single" | grep -o '^[0-9]*')
  printf '%-26s %10s %18s %14s %20s\n' "$map" "$quantities" "$status" "$all" "$one"
  port=$((port + 1))
done

echo "== 2/2 CPU, $N chargers polled every second"
{
  echo "modbus: { bind: 127.0.0.1 }"
  echo "chargers:"
  for i in $(seq "$N"); do
    echo "  - { id: cp$i, max_current: 16, failsafe_current: 16, failsafe_timeout_s: 60, modbus: { port: $((BASE_PORT + i)) }, simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] } }"
  done
} > "$WORK/chargers.yaml"
"$BIN" run --config "$WORK/chargers.yaml" --log-level warning > "$WORK/chargers.log" 2>&1 &
CHARGERS_PID=$!; PIDS+=($CHARGERS_PID)
sleep 2

bridge_site() {   # $1: southbound (drive the N EVC08 slaves) or simulated (baseline)
  {
    echo "modbus: { bind: 127.0.0.1 }"
    echo "chargers:"
    for i in $(seq "$N"); do
      if [ "$1" = southbound ]; then
        echo "  - { id: d$i, driver: modbus, southbound: { map: vestel-evc04, tcp: \"127.0.0.1:$((BASE_PORT + i))\", period_ms: 1000, failsafe_timeout_s: 20 }, max_current: 16, modbus: { port: $((BASE_PORT + 400 + i)) } }"
      else
        echo "  - { id: d$i, max_current: 16, modbus: { port: $((BASE_PORT + 400 + i)) }, simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] } }"
      fi
    done
  } > "$WORK/bridge.yaml"
}
measure() {   # prints CPU percent of the bridge over SECONDS_EACH
  "$BIN" run --config "$WORK/bridge.yaml" --log-level warning > "$WORK/bridge.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  sleep 8   # connected, identities read, steady
  "$PY" Benchmarks/mqtt/bench.py idle --pid "$pid" --seconds "$SECONDS_EACH"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
bridge_site simulated
BASE=$(measure)
bridge_site southbound
DRIVEN=$(measure)
CHARGER_SIDE=$("$PY" Benchmarks/mqtt/bench.py idle --pid "$CHARGERS_PID" --seconds 5)
python3 - "$BASE" "$DRIVEN" "$N" "$CHARGER_SIDE" <<'PY'
import json, sys
base, driven, n, side = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
print(f"baseline, {n} simulated chargers: CPU {base['cpu_percent']:.1f} %, RSS {base['rss_mb']:.0f} MB")
print(f"{n} chargers driven over Modbus TCP at 1 s: CPU {driven['cpu_percent']:.1f} % of a core, RSS {driven['rss_mb']:.0f} MB "
      f"({driven['cpu_percent'] / max(base['cpu_percent'], 0.01):.2f}x the baseline of {n} simulated chargers)")
print(f"(the {n} EVC08 slaves being driven: CPU {side['cpu_percent']:.1f} %)")
PY
