#!/usr/bin/env bash
# MQTT benchmark (issue 6), release build, 100 simulated chargers (every EV charging, so the
# values keep changing), a real Mosquitto on loopback:
# 1. baseline: the broker alone (paho publisher -> subscriber round trip, paho publish rate);
# 2. the bridge without MQTT: CPU and memory (baseline for what MQTT costs);
# 3. the bridge with MQTT and the shipped contract: messages per second, CPU, memory; latency from
#    a charger state change (EMS writes the charging current over Modbus) to the MQTT message, and
#    from an MQTT command to its state topic;
# 4. the same with every value unthrottled (min_interval 0) and all of them republished every
#    second: the publish rate the bridge sustains.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
PY=.build-venv/bin/python
N=${CHARGERS:-100}; SECONDS_EACH=${SECONDS_EACH:-20}
BROKER=${BROKER_PORT:-23810}; GATEWAY=${GATEWAY_PORT:-23811}

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nset_tcp_nodelay true\n' "$BROKER" > "$WORK/mosquitto.conf"
[ "$(id -u)" -eq 0 ] && echo "user root" >> "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/broker.log" 2>&1 &
PIDS+=($!)
sleep 0.5

site() {   # $1: extra top-level YAML (the mqtt section or nothing)
  {
    echo "modbus: { mode: gateway, bind: 127.0.0.1, port: $GATEWAY }"
    echo "$1"
    echo "chargers:"
    for i in $(seq "$N"); do
      echo "  - { id: cp$i, max_current: 16, failsafe_current: 16, modbus: { unit: $i }, simulation: { evs: [ { arrive_s: $((i % 10)), phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] } }"
    done
  } > "$WORK/site.yaml"
}
start_bridge() {
  "$BIN" run --config "$WORK/site.yaml" --log-level warning > "$WORK/bridge.log" 2>&1 &
  BRIDGE=$!; PIDS+=($BRIDGE)
  for _ in $(seq 200); do grep -q "Modbus TCP gateway" "$WORK/bridge.log" 2>/dev/null && break; sleep 0.05; done
  sleep 12   # every EV has arrived and ramped
}

echo "== 1/4 broker alone (paho)"
BASE=$("$PY" Benchmarks/mqtt/bench.py broker --port "$BROKER" --samples 200)
echo "$BASE"

echo "== 2/4 bridge, $N chargers, no MQTT"
site ""
start_bridge
IDLE=$("$PY" Benchmarks/mqtt/bench.py idle --pid "$BRIDGE" --seconds "$SECONDS_EACH")
echo "$IDLE"
kill "$BRIDGE"; wait "$BRIDGE" 2>/dev/null || true

echo "== 3/4 bridge, $N chargers, MQTT with the shipped contract"
site "mqtt: { host: 127.0.0.1, port: $BROKER, client_id: bench }"
start_bridge
SHIPPED=$("$PY" Benchmarks/mqtt/bench.py bridge --port "$BROKER" --pid "$BRIDGE" --seconds "$SECONDS_EACH" --modbus-port "$GATEWAY" --chargers "$N")
echo "$SHIPPED"
kill "$BRIDGE"; wait "$BRIDGE" 2>/dev/null || true

echo "== 4/4 bridge, $N chargers, MQTT with every value unthrottled and republished every second"
sed 's/, min_interval_ms: [0-9]*//; s/^republish_s: .*/republish_s: 1/' Mappings/mqtt.yaml > "$WORK/unthrottled.yaml"
site "mqtt: { host: 127.0.0.1, port: $BROKER, client_id: bench, topics: $WORK/unthrottled.yaml }"
start_bridge
FULL=$("$PY" Benchmarks/mqtt/bench.py bridge --port "$BROKER" --pid "$BRIDGE" --seconds "$SECONDS_EACH" --modbus-port "$GATEWAY" --chargers "$N" --samples 50)
echo "$FULL"
kill "$BRIDGE"; wait "$BRIDGE" 2>/dev/null || true

python3 - "$BASE" "$IDLE" "$SHIPPED" "$FULL" "$N" <<'PY'
import json, sys
base, idle, shipped, full = (json.loads(a) for a in sys.argv[1:5]); n = sys.argv[5]
print(f"\n== summary ({n} chargers)")
print(f"broker alone: round trip p50 {base['rtt_ms_p50']:.2f} ms, p99 {base['rtt_ms_p99']:.2f} ms; paho publisher {base['publisher_rate']:.0f} msg/s")
for name, r in (("shipped contract", shipped), ("unthrottled", full)):
    print(f"{name}: {r['rate']:.0f} msg/s sustained ({r['rate'] / base['publisher_rate']:.2f}x the paho publisher), "
          f"CPU {r['cpu_percent']:.1f} % (no MQTT: {idle['cpu_percent']:.1f} %), RSS {r['rss_mb']:.0f} MB (no MQTT: {idle['rss_mb']:.0f} MB)")
    print(f"  charger state change -> MQTT: p50 {r['state_ms_p50']:.1f} ms, p99 {r['state_ms_p99']:.1f} ms ({r['state_samples']} samples, "
          f"p50 = {r['state_ms_p50'] / base['rtt_ms_p50']:.0f}x the broker round trip)")
    print(f"  MQTT command -> state topic: p50 {r['command_ms_p50']:.1f} ms, p99 {r['command_ms_p99']:.1f} ms ({r['command_samples']} samples)")
PY
