"""An energy manager driving a charger through the KEBA KeContact P30 Modbus TCP table (pymodbus).

Written from the "KeContact P30 Modbus TCP Programmers Guide" as an EMS (evcc, OpenEMS, openWB)
uses it, against the KEBA face of chargebridge; prints ONE JSON object of observations on stdout
for the Swift tests to assert on, and exits non-zero (after printing what it had, with "error") on
an unexpected error.

The face: unit 255, function 03 to read and 06 to write, nothing else. Every readable value is a
UINT32 in two registers, high word first, and is read on its own (2 registers per request: the
station does not answer block reads).
  1000 charging state (0 start-up, 1 not ready, 2 ready, 3 charging, 4 error, 5 suspended)
  1004 cable state (0, 1, 3, 5, 7)   1006 error code   1008/1010/1012 current L1-L3 (mA)
  1014 serial   1016 product type and features   1018 firmware (hex-coded version)
  1020 active power (mW)   1036 total energy (0.1 Wh)   1040/1042/1044 voltage L1-L3 (V)
  1100 max charging current (mA)   1110 max supported current (mA)   1502 session energy (0.1 Wh)
Writes (UINT16, function 06): 5004 charging current (mA, 6000-63000; above the charger's maximum
is capped), 5014 enable (0 pause, 1 enable), 5016 failsafe current (mA, 0 or 6000-63000),
5018 failsafe timeout (s, 10-600; 0 refused by the bridge), 5052 phases (0 one, 1 three).
Watchdog: the failsafe timeout is renewed by any accepted write of the master (KEBA: rewriting
5018, as evcc does every half timeout); on expiry the charger falls back to the failsafe current
and the master's connection is closed.

Usage: keba_ems.py --port PORT [--unit 255] [--host 127.0.0.1] [--scenario drive|master|probe]
                   [--seconds S --current A]   (master only)
  drive   the end-to-end run (see the keys below)
  master  set the watchdog (8 A, 10 s) and the setpoint A, feed it for S seconds;
          prints {"closed", "closed_after_s", "samples"}
  probe   read everything once, no writes
"""
import sys
import time

from modbus_ems import Ems, main, silent_master_and_takeover, u32

FAILSAFE_CURRENT_MA = 8000
TIMEOUT_S = 10                  # the KEBA minimum

REG_CHARGING_STATE, REG_CABLE_STATE, REG_ERROR = 1000, 1004, 1006
REG_CURRENT_L1, REG_SERIAL, REG_PRODUCT, REG_FIRMWARE, REG_POWER = 1008, 1014, 1016, 1018, 1020
REG_ENERGY, REG_VOLTAGE_L1 = 1036, 1040
REG_MAX_CURRENT, REG_MAX_SUPPORTED, REG_SESSION_ENERGY = 1100, 1110, 1502
REG_SET_CURRENT, REG_ENABLE, REG_FAILSAFE_CURRENT, REG_FAILSAFE_TIMEOUT, REG_PHASES = 5004, 5014, 5016, 5018, 5052
REG_UNKNOWN = 2000              # no KEBA register lives there


def firmware_text(value):
    """1018 is a hex-coded version: 0x030A0D00 reads 3.10.13 (major, minor, patch bytes)."""
    return f"{(value >> 24) & 0xFF}.{(value >> 16) & 0xFF}.{(value >> 8) & 0xFF}"


class KebaEms(Ems):
    """Every value is a UINT32 read on its own (2 registers); writes are function 06 only."""

    TIMEOUT_S = TIMEOUT_S

    # --- quantities ---
    def current_l1(self, c):
        return round(self.u32_at(c, REG_CURRENT_L1) / 1000, 3)

    # --- the master ---
    def feed_write(self, amperes):
        """The watchdog feed, as evcc does it: rewrite the failsafe timeout (5018). The setpoint
        (5004) is written once and not repeated, so `amperes` does not enter."""
        return (REG_FAILSAFE_TIMEOUT, TIMEOUT_S)

    def set_current(self, c, amperes):
        """Setpoint then enable, the KEBA way (5004 in mA, 5014 = 1)."""
        self.write(c, REG_SET_CURRENT, amperes * 1000)
        self.write(c, REG_ENABLE, 1)

    def setup_master(self, c, amperes):
        self.write(c, REG_FAILSAFE_CURRENT, FAILSAFE_CURRENT_MA)
        self.write(c, REG_FAILSAFE_TIMEOUT, TIMEOUT_S)
        self.set_current(c, amperes)


def identity(ems, c, out):
    out["charging_state"] = ems.u32_at(c, REG_CHARGING_STATE)
    out["cable_state"] = ems.u32_at(c, REG_CABLE_STATE)
    out["error_code"] = ems.u32_at(c, REG_ERROR)
    out["serial"] = ems.u32_at(c, REG_SERIAL)
    out["product_type"] = ems.u32_at(c, REG_PRODUCT)
    firmware = ems.u32_at(c, REG_FIRMWARE)
    out["firmware"], out["firmware_version"] = firmware, firmware_text(firmware)
    out["max_current_ma"] = ems.u32_at(c, REG_MAX_CURRENT)
    out["max_supported_ma"] = ems.u32_at(c, REG_MAX_SUPPORTED)


def drive(ems, out):
    first = ems.connect()
    identity(ems, first, out)

    # The master sequence: failsafe current, failsafe timeout, charging current, enable; then
    # rewrite the failsafe timeout every 0.5 s (follow with a setpoint).
    ems.setup_master(first, 12)
    out["follow_12"] = ems.follow(first, 4, setpoint=12)
    out["max_current_12_ma"] = ems.u32_at(first, REG_MAX_CURRENT)
    ems.write(first, REG_ENABLE, 0)
    out["follow_pause"] = ems.follow(first, 1.5, setpoint=12)   # paused: 5004 still holds 12 A
    out["charging_state_paused"] = ems.u32_at(first, REG_CHARGING_STATE)
    ems.set_current(first, 10)
    out["follow_10"] = ems.follow(first, 4, setpoint=10)

    # Energy, 2 s apart while charging at 10 A (registers in 0.1 Wh, reported in Wh).
    out["energy_before"] = ems.u32_at(first, REG_ENERGY) / 10
    out["session_energy_before"] = ems.u32_at(first, REG_SESSION_ENERGY) / 10
    ems.follow(first, 2, setpoint=10)
    out["energy_after"] = ems.u32_at(first, REG_ENERGY) / 10
    out["session_energy_after"] = ems.u32_at(first, REG_SESSION_ENERGY) / 10
    out["power_w"] = ems.u32_at(first, REG_POWER) / 1000

    # Bad requests: 02 for an address the table does not define, 03 for an out-of-range value.
    out["unknown_address_exception"] = ems.read_exception(first, REG_UNKNOWN, 2)
    out["out_of_range_exception"] = ems.try_write(first, REG_SET_CURRENT, 3000)
    out["setpoint_after_bad_write"] = ems.u32_at(first, REG_MAX_CURRENT)   # mA; 5004 itself is write-only
    out["failsafe_timeout_zero_exception"] = ems.try_write(first, REG_FAILSAFE_TIMEOUT, 0)
    # 63000 mA = "no limit": accepted and capped at the charger's maximum.
    out["no_limit_exception"] = ems.try_write(first, REG_SET_CURRENT, 63000)
    time.sleep(0.5)   # 1100 shows what the station offers: it follows at the next control step
    out["max_current_after_no_limit_ma"] = ems.u32_at(first, REG_MAX_CURRENT)
    ems.write(first, REG_SET_CURRENT, 10000)
    ems.write(first, REG_FAILSAFE_TIMEOUT, TIMEOUT_S)

    silent_master_and_takeover(ems, out, first)


def probe(ems, out):
    c = ems.connect()

    def dword(address):
        return ems.read_or_exception(c, address, 2, u32)

    out["charging_state"] = dword(REG_CHARGING_STATE)
    out["cable_state"] = dword(REG_CABLE_STATE)
    out["error_code"] = dword(REG_ERROR)
    out["currents_ma"] = [dword(REG_CURRENT_L1 + 2 * i) for i in range(3)]
    out["serial"] = dword(REG_SERIAL)
    out["product_type"] = dword(REG_PRODUCT)
    out["firmware"] = dword(REG_FIRMWARE)
    if isinstance(out["firmware"], int):
        out["firmware_version"] = firmware_text(out["firmware"])
    out["power_mw"] = dword(REG_POWER)
    out["energy_0_1wh"] = dword(REG_ENERGY)
    out["voltages"] = [dword(REG_VOLTAGE_L1 + 2 * i) for i in range(3)]
    out["max_current_ma"] = dword(REG_MAX_CURRENT)
    out["max_supported_ma"] = dword(REG_MAX_SUPPORTED)
    out["session_energy_0_1wh"] = dword(REG_SESSION_ENERGY)
    # Registers outside the face that evcc/OpenEMS read (1046 power factor, 1500 RFID,
    # 1550/1552 phase switch source/state, 1600/1602 failsafe current/timeout read back) and
    # the write-only registers; a block read of four registers (KEBA: not supported).
    out["outside_face"] = {str(a): dword(a) for a in (1046, 1500, 1550, 1552, 1600, 1602,
                                                      REG_SET_CURRENT, REG_ENABLE, REG_FAILSAFE_CURRENT,
                                                      REG_FAILSAFE_TIMEOUT, REG_PHASES, REG_UNKNOWN)}
    out["block_read"] = ems.read_or_exception(c, REG_CHARGING_STATE, 4)
    c.close()


if __name__ == "__main__":
    # --current: 6-63 A, what 5004 accepts (6000-63000 mA).
    sys.exit(main(__doc__, KebaEms, drive, probe, range(6, 64), "6-63 A"))
