#!/usr/bin/env bash
# Installs what is missing, builds, starts a simulated Siemens PAC2200 meter on a loopback port
# and reads it with `chargebridge read`, as an installer would read a real meter.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build 2>&1 | tail -n 1
BIN=.build/debug/chargebridge
LOG=$(mktemp)

# --port 0: the kernel picks a free loopback port; the meter prints it.
"$BIN" simulate meter --map pac2200 --port 0 --unit 1 > "$LOG" &
METER=$!
trap 'kill "$METER" 2>/dev/null; wait "$METER" 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 100); do grep -q serving "$LOG" && break; sleep 0.05; done
cat "$LOG"
PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG")

echo; echo "== chargebridge read --map pac2200 --tcp 127.0.0.1:$PORT --unit 1 --stats --polls 20"
"$BIN" read --map pac2200 --tcp "127.0.0.1:$PORT" --unit 1 --stats --polls 20
echo; echo "== the same as JSON"
"$BIN" read --map pac2200 --tcp "127.0.0.1:$PORT" --unit 1 --json
echo; echo "== known register maps (chargebridge maps)"
"$BIN" maps
