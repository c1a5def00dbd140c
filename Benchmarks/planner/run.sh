#!/usr/bin/env bash
# Charge planner (issue: dynamic prices and a plan), release build: 100 chargers over 96
# quarter-hour slots, p50/p99 per round against sorting the prices 100 times in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product PlannerBenchmark 2>&1 | tail -n 1
"$(swift build -c release --show-bin-path)/PlannerBenchmark" "${ROUNDS:-300}"
