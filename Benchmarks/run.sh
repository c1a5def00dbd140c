#!/usr/bin/env bash
# Poll benchmark (issue 2): requests per poll and poll time, block planner vs one request per
# quantity, for the PAC2200 and CVM-MINI maps; over TCP (in-process simulated meter) and over a
# 19200-baud 8N1 RTU line with real byte timing (wire.py) to a pymodbus RTU server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product PollBenchmark 2>&1 | tail -n 1
BENCH=$(swift build -c release --show-bin-path)/PollBenchmark
PY=.build-venv/bin/python
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== Modbus TCP (loopback), 500 polls each, plans alternating"
for map in pac2200 cvm-mini; do "$BENCH" tcp "$map" 500; done

echo "== Modbus RTU 19200 baud 8N1 over a timed line, 20 polls each"
for map in pac2200 cvm-mini; do
  "$PY" Benchmarks/wire.py --baud 19200 --bits 10 --a "$WORK/bridge-$map" --b "$WORK/meter-$map" --lifetime 300 > "$WORK/wire-$map.log" &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q ready "$WORK/wire-$map.log" 2>/dev/null && break; sleep 0.05; done
  "$BENCH" spec "$map" > "$WORK/spec-$map.json"
  "$PY" Tests/Peers/meter_server.py --spec "$WORK/spec-$map.json" --rtu "$WORK/meter-$map" --baud 19200 --parity N --lifetime 300 > "$WORK/peer-$map.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q ready "$WORK/peer-$map.log" 2>/dev/null && break; sleep 0.05; done
  "$BENCH" rtu "$map" "$WORK/bridge-$map" 19200 20
done
