#!/usr/bin/env bash
# Storage benchmark (issue 7): session and event writes per second with WAL under a burst of
# 1 000 chargers changing state (batched as the service commits them, against one transaction per
# change in the same run), and the database size per 10 000 sessions.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
swift build -c release --product StorageBenchmark 2>&1 | tail -n 1
"$(swift build -c release --show-bin-path)/StorageBenchmark" "${1:-1000}" "${2:-5}"
