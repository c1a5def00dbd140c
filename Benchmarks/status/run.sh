#!/usr/bin/env bash
# Status page benchmark: render time (p50/p99) and size of the status page of a 100-charger site
# with full hour and day charts, against the same page without charts in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product StatusPageBenchmark 2>&1 | tail -n 1
"$(swift build -c release --show-bin-path)/StatusPageBenchmark" "${1:-100}" "${2:-200}"
