#!/usr/bin/env bash
# Slave benchmark (issue 3): requests/s and p50/p99 latency of reading 10 input registers from
# chargebridge's EVC08 slaves versus a minimal C libmodbus server built here (the reference),
# with 1 and 100 exposed chargers, using the same C load client for both, in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
CFLAGS="-O2 $(pkg-config --cflags libmodbus)"; LIBS="$(pkg-config --libs libmodbus)"
cc $CFLAGS -o "$WORK/reference_server" Benchmarks/slave/reference_server.c $LIBS
cc $CFLAGS -o "$WORK/load_client" Benchmarks/slave/load_client.c $LIBS
REQUESTS=${REQUESTS:-20000}
BASE=${PORT_BASE:-23100}

wait_for() { for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "timeout waiting for $2 in $1"; cat "$1"; exit 1; }

printf "%-10s %-8s %10s %10s %10s\n" chargers server "req/s" "p50 µs" "p99 µs"
for n in 1 100; do
  "$WORK/reference_server" "$BASE" "$n" > "$WORK/ref.log" & REF=$!; PIDS+=($REF)
  wait_for "$WORK/ref.log" ready
  { echo "modbus: { bind: 127.0.0.1 }"; echo "chargers:"
    for i in $(seq 0 $((n - 1))); do echo "  - { id: c$i, max_current: 32, modbus: { port: $((BASE + 200 + i)) } }"; done; } > "$WORK/bridge.yaml"
  "$BIN" run --config "$WORK/bridge.yaml" --log-level warning > "$WORK/bridge.log" 2>&1 & BRIDGE=$!; PIDS+=($BRIDGE)
  wait_for "$WORK/bridge.log" ":$((BASE + 199 + n)) "
  # alternate the two servers three times each; keep every run
  for round in 1 2 3; do
    read -r rps p50 p99 err < <("$WORK/load_client" "$BASE" "$n" "$REQUESTS" 255)
    echo "$n reference $rps $p50 $p99" >> "$WORK/results"
    read -r rps p50 p99 err < <("$WORK/load_client" "$((BASE + 200))" "$n" "$REQUESTS" 255)
    echo "$n bridge $rps $p50 $p99" >> "$WORK/results"
  done
  kill "$REF" "$BRIDGE"; wait "$REF" "$BRIDGE" 2>/dev/null || true
done
# medians of the three rounds, and the ratios the goal is stated in
python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for n in ("1", "100"):
    med = {}
    for server in ("reference", "bridge"):
        runs = [r for r in rows if r[0] == n and r[1] == server]
        med[server] = [statistics.median(float(r[i]) for r in runs) for i in (2, 3, 4)]
        print(f"{n:<10} {server:<9} {med[server][0]:>10.0f} {med[server][1]:>10.1f} {med[server][2]:>10.1f}")
    print(f"{n:<10} ratio     throughput {med['bridge'][0] / med['reference'][0]:.2f}x (goal >= 0.9)   p99 {med['bridge'][2] / med['reference'][2]:.2f}x (goal <= 1.5)")
PY
