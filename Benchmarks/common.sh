# Shared by the benchmark scripts: installs what is missing, builds the release binary, and gives
# a work folder whose background processes (PIDS) are stopped on exit. Source it from the repo root.
scripts/setup.sh
swift build -c release --product chargebridge 2>&1 | tail -n 1
BIN=$(swift build -c release --show-bin-path)/chargebridge
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
