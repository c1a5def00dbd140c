#!/usr/bin/env bash
# Builds a Debian package of chargebridge with dpkg-deb:
#   /usr/bin/chargebridge (release build, Swift runtime linked in statically), /usr/share/chargebridge
#   (Registers/, Mappings/, the demo and its scenarios under etc/), /lib/systemd/system/chargebridge.service,
#   /etc/chargebridge/chargebridge.yaml (a starter with no settings, a conffile: the service waits
#   until it is configured), the man page, bash/zsh/fish completions, /usr/share/doc/chargebridge
#   (README, docs/, copyright, changelog, examples/), a system user `chargebridge` (in dialout) made by
#   postinst, and the capability to bind port 502 (setcap, when available).
# Installs only what the build needs (scripts/setup.sh --build-only), nothing the tests need.
# Usage: scripts/package.sh [--version 0.17.0] [--output DIR] [--binary PATH] [--fast]
#   --binary packages an already-built binary instead of building one (the tests use the debug one);
#   --fast compresses lightly (gzip -1) instead of xz.
# Install: sudo apt install ./chargebridge_0.17.0_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(sed -n 's/^public let chargebridgeVersion = "\(.*\)"/\1/p' Sources/ServiceSupport/Version.swift)
OUTPUT=.
BINARY=
COMPRESS=(-Zxz)
while [ $# -gt 0 ]; do
  case "$1" in
    --version) VERSION=$2; shift 2 ;;
    --output) OUTPUT=$2; shift 2 ;;
    --binary) BINARY=$2; shift 2 ;;
    --fast) COMPRESS=(-Zgzip -z1); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$BINARY" ]; then
  scripts/setup.sh --build-only > /dev/null
  swift build -c release --product chargebridge --static-swift-stdlib 2>&1 | tail -n 1
  BINARY=$(swift build -c release --show-bin-path)/chargebridge
fi
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
install -D -m 0755 "$BINARY" "$STAGE/usr/bin/chargebridge"
mkdir -p "$STAGE/usr/share/chargebridge"
cp -r Registers Mappings "$STAGE/usr/share/chargebridge/"
mkdir -p "$STAGE/usr/share/chargebridge/etc/scenarios"
cp etc/demo.yaml "$STAGE/usr/share/chargebridge/etc/"
cp etc/scenarios/*.yaml "$STAGE/usr/share/chargebridge/etc/scenarios/"
find "$STAGE/usr/share/chargebridge" -name '*.md' -delete
install -D -m 0644 etc/starter.yaml "$STAGE/etc/chargebridge/chargebridge.yaml"
mkdir -p "$STAGE/lib/systemd/system"
sed 's#/usr/local/bin/chargebridge#/usr/bin/chargebridge#g' etc/chargebridge.service > "$STAGE/lib/systemd/system/chargebridge.service"
DOC="$STAGE/usr/share/doc/chargebridge"
install -D -m 0644 README.md "$DOC/README.md"
install -D -m 0644 etc/chargebridge.yaml "$DOC/examples/chargebridge.yaml"
install -m 0644 etc/examples/*.yaml "$DOC/examples/"
# the guide's links (docs/…) resolve beside the installed README
install -d "$DOC/docs"
install -m 0644 docs/*.md docs/*.png "$DOC/docs/"
gzip -9n -c CHANGELOG.md > "$DOC/changelog.gz"
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: chargebridge"
  echo ""
  echo "Files: *"
  echo "Copyright: 2026 the chargebridge developers"
  echo "License: Apache-2.0"
  echo " On Debian systems the full text of the Apache License 2.0 is in"
  echo " /usr/share/common-licenses/Apache-2.0."
} > "$DOC/copyright"
# the man page and completions come from the binary's own --help (swift-argument-parser)
if "$BINARY" --version > /dev/null 2>&1; then
  mkdir -p "$STAGE/usr/share/man/man1"
  scripts/manpage.sh "$BINARY" "$VERSION" | gzip -9n > "$STAGE/usr/share/man/man1/chargebridge.1.gz"
  install -D -m 0644 /dev/null "$STAGE/usr/share/bash-completion/completions/chargebridge"
  "$BINARY" --generate-completion-script bash > "$STAGE/usr/share/bash-completion/completions/chargebridge"
  install -D -m 0644 /dev/null "$STAGE/usr/share/zsh/vendor-completions/_chargebridge"
  "$BINARY" --generate-completion-script zsh > "$STAGE/usr/share/zsh/vendor-completions/_chargebridge"
  install -D -m 0644 /dev/null "$STAGE/usr/share/fish/vendor_completions.d/chargebridge.fish"
  "$BINARY" --generate-completion-script fish > "$STAGE/usr/share/fish/vendor_completions.d/chargebridge.fish"
fi
mkdir -p "$STAGE/DEBIAN"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: chargebridge
Version: $VERSION
Architecture: $ARCH
Maintainer: chargebridge developers <chargebridge@localhost>
Depends: libmodbus5, libmosquitto1, libserialport0, libsqlite3-0, libssl3, adduser
Recommends: libcap2-bin
Section: net
Priority: optional
Description: EV chargers, meters and energy managers bridged
 chargebridge shows every charger (Modbus of any brand through charger maps, OCPP 1.6J) to
 energy managers as a Vestel EVC08 Modbus TCP slave and on MQTT, reads meters, and runs the
 loops that protect the main fuse, charge from solar surplus and share current across chargers.
CONTROL
echo "/etc/chargebridge/chargebridge.yaml" > "$STAGE/DEBIAN/conffiles"
cat > "$STAGE/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  getent group chargebridge >/dev/null || addgroup --system chargebridge
  getent passwd chargebridge >/dev/null || adduser --system --ingroup chargebridge --no-create-home --home /var/lib/chargebridge --shell /usr/sbin/nologin chargebridge
  getent group dialout >/dev/null && adduser chargebridge dialout >/dev/null || true
  command -v setcap >/dev/null && setcap cap_net_bind_service=+ep /usr/bin/chargebridge || true
  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
fi
POSTINST
cat > "$STAGE/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then systemctl stop chargebridge || true; fi
PRERM
cat > "$STAGE/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
  getent passwd chargebridge >/dev/null && deluser --system chargebridge >/dev/null || true
  getent group chargebridge >/dev/null && delgroup --system chargebridge >/dev/null || true
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
POSTRM
chmod 0755 "$STAGE/DEBIAN/postinst" "$STAGE/DEBIAN/prerm" "$STAGE/DEBIAN/postrm"
mkdir -p "$OUTPUT"
DEB="$OUTPUT/chargebridge_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group "${COMPRESS[@]}" --build "$STAGE" "$DEB" > /dev/null
echo "$DEB"
