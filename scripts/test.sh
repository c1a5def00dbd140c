#!/usr/bin/env bash
# Installs what is missing, builds, and runs the test suite against real peers (pymodbus, mbpoll,
# socat, Mosquitto, chromium) in three lanes, each a `swift test` process of its own:
#   unit         everything but the two lanes below; needs no Python (about a minute)
#   properties   ControlPropertyTests: seeded random sites through the control loops (CPU-bound)
#   integration  IntegrationTests (the built binary against real peers, mostly waiting) and
#                ModbusChargerDriverTests (the driver against a pymodbus charger)
# properties and integration run side by side. Separate processes matter: a CPU-bound test holds
# a thread of Swift's cooperative pool (as wide as the machine has cores) for minutes, and in the
# same process servers under test that need that pool would starve.
#
#   scripts/test.sh          all three lanes (CI runs this)
#   scripts/test.sh --fast   the unit lane only (no Python packages installed)
#   scripts/test.sh --long   all lanes, property tests 4x larger (CB_PROPERTY_SCALE=4)
# Logs go to .build/test-logs/<lane>.log; the last line is the summary.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-all}"
case "$mode" in
  all|--fast|--long) ;;
  *) echo "usage: scripts/test.sh [--fast | --long]" >&2; exit 2 ;;
esac
[ "$mode" = "--long" ] && export CB_PROPERTY_SCALE="${CB_PROPERTY_SCALE:-4}"

if [ "$mode" = "--fast" ]; then scripts/setup.sh --system-only; else scripts/setup.sh; fi
swift build --build-tests 2>&1 | tail -n 1

LOGS=.build/test-logs
mkdir -p "$LOGS"
declare -A filters=(
  [unit]="--skip IntegrationTests --skip ControlPropertyTests --skip ModbusChargerDriverTests"
  [properties]="--filter ControlPropertyTests"
  [integration]="--filter IntegrationTests --filter ModbusChargerDriverTests"
)

# Runs one lane in the background; its log is $LOGS/<lane>.log.
start_lane() {
  local lane=$1
  # shellcheck disable=SC2086
  # --ignore-lock: lanes only read the build, and SwiftPM would otherwise run them one by one
  swift test --skip-build --ignore-lock --disable-xctest ${filters[$lane]} >"$LOGS/$lane.log" 2>&1 &
  pids[$lane]=$!
}

# Waits for a lane and prints its summary, or its failures and the log's end.
finish_lane() {
  local lane=$1 status=0
  wait "${pids[$lane]}" || status=$?
  local summary
  summary=$(grep -E "^. Test run with" "$LOGS/$lane.log" | tail -n 1 || true)
  if [ "$status" -eq 0 ]; then
    echo "$lane: ${summary:-passed}"
  else
    echo "$lane: FAILED (exit $status) — $LOGS/$lane.log"
    grep -E "✘|error:|Fatal" "$LOGS/$lane.log" | head -n 60 || true
    echo "--- last lines of $lane ---"
    tail -n 40 "$LOGS/$lane.log"
    failed+=("$lane")
  fi
}

declare -A pids=()
failed=()
start=$SECONDS
start_lane unit
finish_lane unit
if [ "$mode" != "--fast" ]; then
  start_lane properties
  start_lane integration
  finish_lane integration
  finish_lane properties
fi

elapsed=$((SECONDS - start))
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests FAILED in ${failed[*]} after ${elapsed} s"
  exit 1
fi
echo "tests passed in every lane run (${mode#--}) after ${elapsed} s"
