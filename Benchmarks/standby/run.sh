#!/usr/bin/env bash
# Standby take-over (issue 18), release build: a main and a backup `chargebridge run` on one
# Mosquitto, two EVC04 emulators as chargers. Each cycle kills the leader with SIGKILL and measures
# until every charger has been written by the other instance (goal ≤ 10 s), then restarts the main
# instance and measures the hand-back: from its start until it has written every charger (the backup
# let go first). Baseline in the same run: a single bridge's cold start until it writes every charger.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/common.sh
CYCLES=${CYCLES:-8}
.build-venv/bin/python Benchmarks/standby/pair.py --bin "$BIN" --work "$WORK" --cycles "$CYCLES"
