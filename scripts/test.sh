#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit and integration tests
# against real peers: pymodbus, mbpoll, socat). The last line is Swift Testing's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build 2>&1 | tail -n 1
exec swift test --disable-xctest
