#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo: three simulated chargers served as Vestel
# EVC08 Modbus TCP slaves on 127.0.0.1:1502-1504, a status line per charger every 3 s, and a small
# energy manager (pymodbus) that takes the garage charger, changes its current, then goes silent
# so the failsafe takes over. Ends by itself after 45 s (Ctrl-C stops it earlier).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build 2>&1 | tail -n 1
.build-venv/bin/python scripts/demo_ems.py &
EMS=$!
trap 'kill "$EMS" 2>/dev/null || true' EXIT
.build/debug/chargebridge demo --duration "${DEMO_SECONDS:-45}" --status-interval 3
