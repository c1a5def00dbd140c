#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo in two parts (about 1 min 45 s):
# 1. A sunny day compressed into a minute: the real control code against a simulated house with
#    PV, clouds, appliance peaks, a 25 A fuse and a car in sun-hybrid mode that switches 1p/3p —
#    follow-the-sun and the fuse protection at work, one line per simulated quarter hour.
# 2. The live service: three simulated chargers served as Vestel EVC08 Modbus TCP slaves on
#    127.0.0.1:1502-1504 and a small energy manager (pymodbus) that takes the garage charger,
#    changes its current, then goes silent so the failsafe takes over. The same chargers appear
#    as MQTT topics on a local Mosquitto (127.0.0.1:11883); an MQTT command switches the carport off.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build 2>&1 | tail -n 1
BIN=.build/debug/chargebridge

echo; echo "== 1/2  a sunny day in a minute: chargebridge simulate --scenario etc/scenarios/sunny-day.yaml --pace 60"
"$BIN" simulate --scenario etc/scenarios/sunny-day.yaml --pace "${DEMO_DAY_SECONDS:-60}"

echo; echo "== 2/2  the live service: chargebridge demo (EVC08 Modbus TCP slaves on 127.0.0.1:1502-1504)"
PIDS=()
trap 'for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
if ! (exec 3<>/dev/tcp/127.0.0.1/11883) 2>/dev/null; then
  mosquitto -c etc/mosquitto/demo.conf > /dev/null 2>&1 &
  PIDS+=($!)
fi
.build-venv/bin/python scripts/demo_ems.py &
PIDS+=($!)
( sleep 15
  echo "demo: MQTT  chargebridge/charger/carport/mode/set <- off"
  mosquitto_pub -h 127.0.0.1 -p 11883 -t chargebridge/charger/carport/mode/set -m off
  sleep 8
  echo "demo: MQTT  retained state of the carport (mosquitto_sub):"
  mosquitto_sub -h 127.0.0.1 -p 11883 -t 'chargebridge/charger/carport/+' --retained-only -v -W 1 2>/dev/null \
    | grep -E '/(status|setpoint|reason|current_limit|mode|power) ' | sed 's/^/demo:   /' || true
  echo "demo: MQTT  Home Assistant discovery configs: $(mosquitto_sub -h 127.0.0.1 -p 11883 -t 'homeassistant/#' --retained-only -W 1 2>/dev/null | wc -l)"
) &
PIDS+=($!)
"$BIN" demo --duration "${DEMO_SECONDS:-45}" --status-interval 3
