#!/usr/bin/env bash
# A §14a dimming contact (W4) to every charger's reduced setpoint: release build, 20 simulated
# chargers at 16 A, a real Mosquitto on loopback; the latency is printed against the control
# period and the broker's own round trip measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
PY=.build-venv/bin/python
N=${CHARGERS:-20}; BROKER=${BROKER_PORT:-23820}; GATEWAY=${GATEWAY_PORT:-23821}

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' "$BROKER" > "$WORK/mosquitto.conf"
[ "$(id -u)" -eq 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/broker.log" 2>&1 &
PIDS+=($!)
sleep 0.5
{
  echo "site: { increase_interval_s: 0.1, resume_delay_s: 0, utility: { dimmed_kw: 4.2 } }"
  echo "modbus: { mode: gateway, bind: 127.0.0.1, port: $GATEWAY }"
  echo "mqtt: { host: 127.0.0.1, port: $BROKER, discovery: false }"
  echo "inputs: [ { id: w4, role: dimming, mqtt: true, debounce_ms: 0 } ]"
  echo "chargers:"
  for i in $(seq "$N"); do
    echo "  - { id: cp$i, max_current: 16, failsafe_current: 16, modbus: { unit: $i }, simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] } }"
  done
} > "$WORK/site.yaml"
"$BIN" run --config "$WORK/site.yaml" --log-level warning > "$WORK/bridge.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do grep -q "Modbus TCP gateway" "$WORK/bridge.log" 2>/dev/null && break; sleep 0.05; done
"$PY" Benchmarks/utility/w4.py --port "$BROKER" --chargers "$N" --edges "${EDGES:-20}" --tick-ms 100
