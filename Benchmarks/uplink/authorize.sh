#!/usr/bin/env bash
# `backend` authorization's cost (issue 26): OCPP 1.6J charge points behind the bridge send
# Authorize; N are in `backend` mode and wait for their CPO backend (Tests/Peers/ocpp_backend.py,
# through each one's uplink), N answered by the bridge itself (accept_all) are the baseline, in the
# same run. Measured at the charge point: the Authorize round trip, p50/p99 for each, and what
# backend mode adds at p99. Usage: Benchmarks/uplink/authorize.sh [N] (20), ROUNDS (20 each).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
PY=.build-venv/bin/python
N=${1:-20}; ROUNDS=${ROUNDS:-20}
BACKEND_PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OCPP_PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=$((26000 + $$ % 2000))
{
  echo "modbus: { bind: 127.0.0.1 }"
  echo "ocpp: { bind: 127.0.0.1, port: $OCPP_PORT, heartbeat_s: 300 }"
  echo "uplink: { url: \"ws://127.0.0.1:$BACKEND_PORT/ocpp\", password: bench-secret-1, meter_interval_s: 300 }"
  echo "chargers:"
  for i in $(seq "$N"); do
    echo "  - { id: L$i, driver: ocpp, ocpp: { version: \"1.6\", password: bench-password }, max_current: 16, failsafe_current: 6, modbus: { port: $((BASE + i)) }, authorization: { mode: accept_all } }"
    echo "  - { id: B$i, driver: ocpp, ocpp: { version: \"1.6\", password: bench-password }, max_current: 16, failsafe_current: 6, modbus: { port: $((BASE + N + i)) }, authorization: { mode: backend, offline: reject }, uplink: {} }"
  done
} > "$WORK/site.yaml"
"$PY" Tests/Peers/ocpp_backend.py --port "$BACKEND_PORT" --password bench-secret-1 --lifetime 600 > "$WORK/backend.log" 2>&1 &
PIDS+=($!)
"$BIN" run --config "$WORK/site.yaml" --log-level warning > "$WORK/bridge.log" 2>&1 &
PIDS+=($!)
# every uplink booted at the backend
for _ in $(seq 240); do
  [ "$(grep -c '"BootNotification"' "$WORK/backend.log" || true)" -ge "$N" ] && break
  sleep 0.5
done
sleep 2
"$PY" Benchmarks/uplink/authorize.py --url "ws://127.0.0.1:$OCPP_PORT/ocpp/" --password bench-password --rounds "$ROUNDS" \
  --local $(for i in $(seq "$N"); do printf 'L%s ' "$i"; done) --backend $(for i in $(seq "$N"); do printf 'B%s ' "$i"; done) > "$WORK/result.json"
"$PY" - "$WORK/result.json" "$N" "$ROUNDS" <<'PYEOF'
import json, sys
result = json.load(open(sys.argv[1]))
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")
local, backend = result["local"], result["backend"]
print(f"{sys.argv[2]} + {sys.argv[2]} charge points, {sys.argv[3]} Authorize each, answers {result['statuses']}")
print(f"baseline (answered by the bridge): p50 {pct(local, 50):.1f} ms  p99 {pct(local, 99):.1f} ms")
print(f"backend mode (the CPO backend asked): p50 {pct(backend, 50):.1f} ms  p99 {pct(backend, 99):.1f} ms")
print(f"added by asking the backend at p99: {pct(backend, 99) - pct(local, 99):.1f} ms ({pct(backend, 99) / max(pct(local, 99), 0.001):.1f}x)")
PYEOF
