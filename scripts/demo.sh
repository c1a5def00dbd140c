#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo in two parts (about 1 min 45 s):
# 1. A sunny day compressed into a minute: the real control code against a simulated house with
#    PV, clouds, appliance peaks, a 25 A fuse and a car in sun-hybrid mode that switches 1p/3p —
#    follow-the-sun and the fuse protection at work, one line per simulated quarter hour.
# 2. The live service: three simulated chargers served as Vestel EVC08 Modbus TCP slaves on
#    127.0.0.1:1502-1504 and a small energy manager (pymodbus) that takes the garage charger,
#    changes its current, then goes silent so the failsafe takes over.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build 2>&1 | tail -n 1
BIN=.build/debug/chargebridge

echo; echo "== 1/2  a sunny day in a minute: chargebridge simulate --scenario etc/scenarios/sunny-day.yaml --pace 60"
"$BIN" simulate --scenario etc/scenarios/sunny-day.yaml --pace "${DEMO_DAY_SECONDS:-60}"

echo; echo "== 2/2  the live service: chargebridge demo (EVC08 Modbus TCP slaves on 127.0.0.1:1502-1504)"
.build-venv/bin/python scripts/demo_ems.py &
EMS=$!
trap 'kill "$EMS" 2>/dev/null || true' EXIT
"$BIN" demo --duration "${DEMO_SECONDS:-45}" --status-interval 3
