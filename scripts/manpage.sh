#!/usr/bin/env bash
# Prints chargebridge(1) in roff, made from the binary's own --help and each subcommand's, so the
# manual never drifts from the program. Usage: scripts/manpage.sh BINARY VERSION
set -euo pipefail
BINARY=$1 VERSION=$2
# roff: a leading dot or quote would be a request; backslashes must be doubled
escape() { sed -e 's/\\/\\\\/g' -e 's/^\([.'"'"']\)/\\\&\1/'; }
subcommands=$("$BINARY" --help | awk '/^SUBCOMMANDS:/ {on=1; next} on && /^  [a-z]/ {print $1}')
cat <<HEAD
.TH CHARGEBRIDGE 1 "$(date -u +%Y-%m-%d)" "chargebridge $VERSION" "User Commands"
.SH NAME
chargebridge \\- connects EV chargers, electricity meters and the systems that steer them
.SH SYNOPSIS
.B chargebridge
.I subcommand
[\\fIoptions\\fR]
.SH DESCRIPTION
chargebridge shows every charger (Modbus of any brand through charger maps, OCPP 1.6J) to energy
managers as a Modbus TCP slave (Vestel EVC08, Bender CC613 and KEBA P30 tables, SEMP) and on MQTT,
reads meters, and runs the loops that protect the main fuse, charge from solar surplus and share
current across chargers.
.PP
The configuration is a YAML file, by default \\fI/etc/chargebridge/chargebridge.yaml\\fR; a
commented example with every section is in \\fI/usr/share/doc/chargebridge/examples/\\fR.
.SH SUBCOMMANDS
HEAD
for command in $subcommands; do
  echo ".SS $command"
  echo ".nf"
  "$BINARY" help "$command" 2>&1 | escape
  echo ".fi"
done
cat <<TAIL
.SH FILES
.TP
.I /etc/chargebridge/chargebridge.yaml
the site's configuration (while it holds only comments the service waits, saying what to do)
.TP
.I /usr/share/chargebridge
register maps (Registers/), energy-manager faces (Mappings/), the demo and its scenarios (etc/)
.TP
.I /var/lib/chargebridge
the database: sessions, events, operator settings
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1),
.BR mosquitto (8),
.BR mbpoll (1)
TAIL
