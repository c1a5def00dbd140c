#!/usr/bin/env bash
# Installs what is missing, builds, starts a simulated Siemens PAC2200 meter on a loopback port
# and reads it with `chargebridge read`, as an installer would read a real meter.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build 2>&1 | tail -n 1
BIN=.build/debug/chargebridge
PORT=${DEMO_PORT:-15020}

"$BIN" simulate meter --map pac2200 --port "$PORT" --unit 1 &
METER=$!
trap 'kill "$METER" 2>/dev/null; wait "$METER" 2>/dev/null' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

echo; echo "== chargebridge read --map pac2200 --tcp 127.0.0.1:$PORT --unit 1 --stats --polls 20"
"$BIN" read --map pac2200 --tcp "127.0.0.1:$PORT" --unit 1 --stats --polls 20
echo; echo "== the same as JSON"
"$BIN" read --map pac2200 --tcp "127.0.0.1:$PORT" --unit 1 --json
echo; echo "== known register maps (chargebridge maps)"
"$BIN" maps
