#!/usr/bin/env bash
# Installs what is missing, builds, and runs the test suite against real peers (pymodbus, mbpoll,
# socat, Mosquitto, chromium) in three lanes, each a `swift test` process of its own:
#   unit         everything but the two lanes below; needs no Python (about a minute)
#   properties   ControlPropertyTests: seeded random sites through the control loops (CPU-bound)
#   integration  IntegrationTests (the built binary against real peers, mostly waiting) and
#                ModbusChargerDriverTests (the driver against a pymodbus charger), in three shards
# all lanes run side by side, the properties (the longest) started first. Separate processes matter: a CPU-bound
# test holds a thread of Swift's cooperative pool (as wide as the machine has cores) for minutes,
# and in the same process servers under test that need that pool would starve. The integration
# tests mostly wait on peers, yet each holds a pool thread while it waits, so one process runs only
# as many at once as the machine has cores: three shards (each with its own port range) triple that.
#
#   scripts/test.sh          all three lanes, property tests at half size (CI runs this)
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
# the property lane is the suite's critical path on two cores: CI runs half the cases (every
# property still runs; the counts are printed with a failure), --long four times the full count
case "$mode" in
  --long) export CB_PROPERTY_SCALE="${CB_PROPERTY_SCALE:-4}" ;;
  all) export CB_PROPERTY_SCALE="${CB_PROPERTY_SCALE:-0.5}" ;;
esac

if [ "$mode" = "--fast" ]; then scripts/setup.sh --system-only; else scripts/setup.sh; fi
swift build --build-tests 2>&1 | tail -n 1

LOGS=.build/test-logs
mkdir -p "$LOGS"
declare -A filters=(
  [unit]="--skip IntegrationTests --skip ControlPropertyTests --skip ModbusChargerDriverTests"
  [properties]="--filter ControlPropertyTests"
  [integration-1]="--filter IntegrationTests.BrandDriverTests --filter ModbusChargerDriverTests --filter IntegrationTests.StandbyTests --filter IntegrationTests.PackageTests --filter IntegrationTests.UplinkTests --filter IntegrationTests.OCPPSecurityProfileTests --filter IntegrationTests.OCPPAuthorizationTests"
  [integration-2]="--filter IntegrationTests.SmartMeterTests --filter IntegrationTests.SunSpecMeterTests --filter IntegrationTests.OCPPChargePointTests --filter IntegrationTests.ReadRTUTests --filter IntegrationTests.CrashTests --filter IntegrationTests.OCPP201ChargingStationTests --filter IntegrationTests.OCPPProfileLadderTests"
  [integration-3]="--filter IntegrationTests --skip IntegrationTests.BrandDriverTests --skip IntegrationTests.StandbyTests --skip IntegrationTests.PackageTests --skip IntegrationTests.UplinkTests --skip IntegrationTests.OCPPSecurityProfileTests --skip IntegrationTests.OCPPAuthorizationTests --skip IntegrationTests.SmartMeterTests --skip IntegrationTests.SunSpecMeterTests --skip IntegrationTests.OCPPChargePointTests --skip IntegrationTests.ReadRTUTests --skip IntegrationTests.CrashTests --skip IntegrationTests.OCPP201ChargingStationTests --skip IntegrationTests.OCPPProfileLadderTests"
)
# ports the shards hand out to the peers and bridges they start: disjoint, below the ephemeral range
declare -A ports=([integration-1]=20000-23999 [integration-2]=24000-27999 [integration-3]=28000-32000)

# Runs one lane in the background; its log is $LOGS/<lane>.log.
start_lane() {
  local lane=$1
  # shellcheck disable=SC2086
  # --ignore-lock: lanes only read the build, and SwiftPM would otherwise run them one by one
  CB_TEST_PORTS="${ports[$lane]:-}" swift test --skip-build --ignore-lock --disable-xctest ${filters[$lane]} >"$LOGS/$lane.log" 2>&1 &
  pids[$lane]=$!
  # SwiftPM opens the build database even with --skip-build and fails if another one holds it:
  # the next lane starts once this one has planned and started its test process (at most 2
  # minutes, or when it ends). Its log is no sign: the test output is buffered; nor is any child:
  # planning compiles the packages' manifests first.
  for _ in $(seq 1 1200); do
    pgrep -P "${pids[$lane]}" -f "PackageTests.xctest" >/dev/null 2>&1 && break
    kill -0 "${pids[$lane]}" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1
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
if [ "$mode" = "--fast" ]; then
  start_lane unit
  finish_lane unit
else
  # the properties are the longest lane: they start first, the rest beside them
  start_lane properties
  start_lane unit
  for shard in 1 2 3; do start_lane "integration-$shard"; done
  finish_lane unit
  for shard in 1 2 3; do finish_lane "integration-$shard"; done
  finish_lane properties
fi

elapsed=$((SECONDS - start))
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests FAILED in ${failed[*]} after ${elapsed} s"
  exit 1
fi
echo "tests passed in every lane run (${mode#--}) after ${elapsed} s"
