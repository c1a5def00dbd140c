#!/usr/bin/env bash
# Installs what chargebridge needs, if missing: Debian packages (libraries, broker, Modbus and
# serial tools) and the Python test peers in a virtual environment (.build-venv/). Idempotent.
# --system-only: the Debian packages only (enough to build and run the fast test lane).
# --build-only: only what building needs (the libraries and pkg-config), for scripts/package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(libmodbus-dev libmosquitto-dev libserialport-dev libsqlite3-dev mosquitto mosquitto-clients mbpoll socat pkg-config openssl curl chromium procps)
[ "${1:-}" = "--build-only" ] && DEBIAN_PACKAGES=(libmodbus-dev libmosquitto-dev libserialport-dev libsqlite3-dev pkg-config)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ "${1:-}" = "--build-only" ] || python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

case "${1:-}" in --system-only|--build-only) exit 0 ;; esac

VENV=.build-venv
PYTHON_PACKAGES=(pymodbus==3.16.1 pyserial==3.5 paho-mqtt ocpp==2.1.0 websockets==17.4 dsmr-parser==1.11.2 pysunspec2==1.3.7)
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import pymodbus, serial, paho.mqtt, ocpp, websockets, dsmr_parser" 2>/dev/null; then
  echo "setup: installing ${PYTHON_PACKAGES[*]} into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PYTHON_PACKAGES[@]}"
fi
