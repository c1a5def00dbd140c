#!/usr/bin/env bash
# Face benchmark: requests/s and p50/p99 latency of an energy manager on the Bender CC613 face
# (reads of the EMS block 200..227, a write of the HEMS current limit every tenth request), alone
# and with 8 readers beside it, against chargebridge and against a minimal C libmodbus server
# built here (the reference), with the same C load client, in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
CFLAGS="-O2 $(pkg-config --cflags libmodbus)"; LIBS="$(pkg-config --libs libmodbus)"
cc $CFLAGS -o "$WORK/reference_server" Benchmarks/slave/reference_server.c $LIBS
cc $CFLAGS -pthread -o "$WORK/face_client" Benchmarks/faces/face_client.c $LIBS
REQUESTS=${REQUESTS:-10000}
BASE=${PORT_BASE:-23400}

wait_for() { for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "timeout waiting for $2 in $1"; cat "$1"; exit 1; }

"$WORK/reference_server" "$BASE" 1 > "$WORK/ref.log" & PIDS+=($!)
wait_for "$WORK/ref.log" ready
cat > "$WORK/bridge.yaml" <<YAML
modbus: { bind: 127.0.0.1 }
chargers:
  - { id: cp, max_current: 32, modbus: { port: $((BASE + 1)), face: bender-cc613 } }
YAML
"$BIN" run --config "$WORK/bridge.yaml" --log-level warning > "$WORK/bridge.log" 2>&1 & PIDS+=($!)
wait_for "$WORK/bridge.log" ":$((BASE + 1)) "
printf "%-22s %-9s %10s %10s %10s\n" clients server "req/s" "p50 µs" "p99 µs"
# alternate the two servers three times each; keep every run
for threads in 1 9; do
  for round in 1 2 3; do
    read -r rps p50 p99 err < <("$WORK/face_client" "$BASE" "$threads" "$((REQUESTS / threads))" 255)
    echo "$threads reference $rps $p50 $p99" >> "$WORK/results"
    read -r rps p50 p99 err < <("$WORK/face_client" "$((BASE + 1))" "$threads" "$((REQUESTS / threads))" 255)
    echo "$threads bridge $rps $p50 $p99" >> "$WORK/results"
  done
done
# medians of the three rounds, and the ratios the goal is stated in
python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for threads, label in (("1", "1 master"), ("9", "1 master + 8 readers")):
    med = {}
    for server in ("reference", "bridge"):
        runs = [r for r in rows if r[0] == threads and r[1] == server]
        med[server] = [statistics.median(float(r[i]) for r in runs) for i in (2, 3, 4)]
        print(f"{label:<22} {server:<9} {med[server][0]:>10.0f} {med[server][1]:>10.1f} {med[server][2]:>10.1f}")
    print(f"{label:<22} ratio     throughput {med['bridge'][0] / med['reference'][0]:.2f}x (goal >= 0.9)   p99 {med['bridge'][2] / med['reference'][2]:.2f}x (goal <= 1.5)")
PY
