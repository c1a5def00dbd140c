#!/usr/bin/env bash
# Cost at rest and MQTT latency (issue 16), release build, a real Mosquitto on loopback:
# 100 simulated chargers with no car (nothing changes) behind one gateway listener, and 10
# simulated PAC2200 meters (`chargebridge simulate meter`, processes of their own) polled every
# 500 ms over Modbus TCP.
# 1. baseline: the same bridge without meters and without MQTT (CPU % of one core);
# 2. the bridge with the 10 meters and MQTT connected: CPU % of one core (goal ≤ 2 %), and the
#    latency from a charger state change (an EMS writes the charging current over Modbus) to the
#    MQTT subscriber (goal p99 ≤ 50 ms), beside the broker's own round trip measured in this run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
PY=.build-venv/bin/python
N=${CHARGERS:-100}; METERS=${METERS:-10}; SECONDS_EACH=${SECONDS_EACH:-30}; SAMPLES=${SAMPLES:-200}
BROKER=${BROKER_PORT:-23820}; GATEWAY=${GATEWAY_PORT:-23821}; METER_BASE=${METER_PORT:-23830}

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' "$BROKER" > "$WORK/mosquitto.conf"
[ "$(id -u)" -eq 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/broker.log" 2>&1 &
PIDS+=($!)
for i in $(seq "$METERS"); do
  "$BIN" simulate meter --map pac2200 --port $((METER_BASE + i)) --host 127.0.0.1 > "$WORK/meter$i.log" 2>&1 &
  PIDS+=($!)
done
sleep 1

site() {   # $1: with meters and MQTT (1) or not (0)
  {
    echo "modbus: { mode: gateway, bind: 127.0.0.1, port: $GATEWAY }"
    if [ "$1" = 1 ]; then
      echo "mqtt: { host: 127.0.0.1, port: $BROKER, client_id: bench-rest }"
      echo "meters:"
      for i in $(seq "$METERS"); do echo "  - { id: m$i, map: pac2200, tcp: 127.0.0.1:$((METER_BASE + i)), unit: 1, period_ms: 500 }"; done
    fi
    echo "chargers:"
    for i in $(seq "$N"); do echo "  - { id: cp$i, max_current: 16, failsafe_current: 16, modbus: { unit: $i } }"; done
  } > "$WORK/site.yaml"
}
start_bridge() {
  "$BIN" run --config "$WORK/site.yaml" --log-level warning > "$WORK/bridge.log" 2>&1 &
  BRIDGE=$!; PIDS+=($BRIDGE)
  for _ in $(seq 200); do grep -q "Modbus TCP gateway" "$WORK/bridge.log" 2>/dev/null && break; sleep 0.05; done
  sleep 5   # connected, everything published once, meters answering
}

echo "== 1/3 broker alone (paho round trip)"
BASE=$("$PY" Benchmarks/mqtt/bench.py broker --port "$BROKER" --samples "$SAMPLES")
echo "$BASE"

echo "== 2/3 baseline: bridge, $N chargers at rest, no meters, no MQTT"
site 0
start_bridge
IDLE=$("$PY" Benchmarks/mqtt/bench.py idle --pid "$BRIDGE" --seconds "$SECONDS_EACH")
echo "$IDLE"
kill "$BRIDGE"; wait "$BRIDGE" 2>/dev/null || true

echo "== 3/3 bridge, $N chargers at rest, $METERS meters every 500 ms, MQTT connected"
site 1
start_bridge
REST=$("$PY" Benchmarks/mqtt/bench.py bridge --port "$BROKER" --pid "$BRIDGE" --seconds "$SECONDS_EACH" --modbus-port "$GATEWAY" --chargers "$N" --samples "$SAMPLES")
echo "$REST"
grep -i "warning\|error" "$WORK/bridge.log" | head -5 || true
kill "$BRIDGE"; wait "$BRIDGE" 2>/dev/null || true

"$PY" - "$BASE" "$IDLE" "$REST" <<'PYEOF'
import json, sys
base, idle, rest = (json.loads(a) for a in sys.argv[1:])
print()
print(f"at rest, {rest['cpu_percent']:.2f} % of a core with meters and MQTT (goal ≤ 2 %); "
      f"baseline without them {idle['cpu_percent']:.2f} % (× {rest['cpu_percent'] / max(idle['cpu_percent'], 0.01):.2f}); "
      f"{rest['rate']:.1f} MQTT messages/s")
print(f"state change → MQTT subscriber: p50 {rest['state_ms_p50']:.1f} ms, p99 {rest['state_ms_p99']:.1f} ms "
      f"(goal ≤ 50 ms; {rest['state_samples']} samples); the broker's own round trip p99 {base['rtt_ms_p99']:.1f} ms "
      f"(× {rest['state_ms_p99'] / max(base['rtt_ms_p99'], 0.01):.1f})")
PYEOF
