"""An energy manager driving a charger through the Bender CC612/CC613 Modbus TCP table (pymodbus).

Written from the Bender "Modbus TCP API" / OMCCI register table as an EMS (evcc, openWB, Solar-Log)
uses it, against the Bender face of chargebridge; prints ONE JSON object of observations on stdout
for the Swift tests to assert on, and exits non-zero (after printing what it had, with "error") on
an unexpected error.

The face: every register is a holding register (read 03, write 06 or 16), 32-bit values high word
first, strings ASCII high byte first, any unit id (255 by default).
  100 firmware (2 regs)  104 OCPP status  122 vehicle state (A=1 .. E=5)
  131 safe current (A)   132 communication timeout (s)   142 model (10 regs)
  206/208/210 power L1-L3 (u32 W)   212/214/216 current L1-L3 (u32 mA)   218 energy (u32 Wh)
  220 active power (u32 W)   222/224/226 voltage L1-L3 (u32 V)   706 signalled current (A)
  716 session energy (u32 Wh)   718 session duration (u32 s)   720 user id (10 regs)
  1000 HEMS current limit (A, 0 = no charging)
Watchdog: without a write of the master within the communication timeout (132) the charger falls
back to the safe current (131) and the master's connection is closed; any accepted write renews it.

Usage: bender_ems.py --port PORT [--unit 255] [--host 127.0.0.1] [--scenario drive|master|probe]
                     [--seconds S --current A]   (master only)
  drive   the end-to-end run (see the README of the test / the keys below)
  master  set the watchdog (8 A, 3 s) and the setpoint A, feed it for S seconds;
          prints {"closed", "closed_after_s", "samples"}
  probe   read everything once, no writes
"""
import sys

from modbus_ems import Ems, main, silent_master_and_takeover, u32

SAFE_CURRENT_A = 8
TIMEOUT_S = 3
NO_VALUE = 0xFFFFFFFF          # registers 200-227 on a charger without a meter

REG_FIRMWARE, REG_OCPP, REG_VEHICLE = 100, 104, 122
REG_SAFE_CURRENT, REG_TIMEOUT, REG_MODEL = 131, 132, 142
REG_POWER_L1, REG_CURRENT_L1, REG_ENERGY, REG_POWER, REG_VOLTAGE_L1 = 206, 212, 218, 220, 222
REG_SIGNALLED, REG_SESSION_ENERGY, REG_SESSION_DURATION, REG_USER_ID = 706, 716, 718, 720
REG_HEMS_LIMIT = 1000
# Not served by the face: evcc probes 1001 (0.1 A limit) and 1002 (power limit) and takes an
# exception as "absent", so 1001 doubles as the unknown address of the drive.
REG_UNKNOWN = 1001


def ascii_of(registers):
    data = b"".join(r.to_bytes(2, "big") for r in registers)
    return data.split(b"\0")[0].decode("ascii", "replace").strip()


class BenderEms(Ems):
    TIMEOUT_S = TIMEOUT_S

    # --- quantities ---
    def u32_at(self, c, address):
        """None for NO_VALUE: the face has no meter reading there."""
        value = super().u32_at(c, address)
        return None if value == NO_VALUE else value

    def current_l1(self, c):
        value = self.u32_at(c, REG_CURRENT_L1)
        return None if value is None else round(value / 1000, 3)

    # --- the master ---
    def feed_write(self, amperes):
        """The watchdog feed: rewrite the HEMS limit (1000) with the setpoint."""
        return (REG_HEMS_LIMIT, amperes)

    def set_current(self, c, amperes):
        self.write(c, REG_HEMS_LIMIT, amperes, multiple=True)   # evcc writes 1000 with function 16

    def setup_master(self, c, amperes):
        self.write(c, REG_SAFE_CURRENT, SAFE_CURRENT_A)
        self.write(c, REG_TIMEOUT, TIMEOUT_S)
        self.set_current(c, amperes)


def identity(ems, c, out):
    out["firmware"] = ascii_of(ems.read(c, REG_FIRMWARE, 2))
    out["model"] = ascii_of(ems.read(c, REG_MODEL, 10))
    out["ocpp_status"] = ems.read(c, REG_OCPP)[0]
    out["vehicle_state"] = ems.read(c, REG_VEHICLE)[0]
    out["hems_limit_at_connection"] = ems.read(c, REG_HEMS_LIMIT)[0]


def drive(ems, out):
    first = ems.connect()
    identity(ems, first, out)

    # The master sequence: safe current, communication timeout, HEMS limit, then feed it.
    ems.setup_master(first, 12)
    out["watchdog_registers"] = [ems.read(first, REG_SAFE_CURRENT)[0], ems.read(first, REG_TIMEOUT)[0]]
    out["follow_12"] = ems.follow(first, 4, setpoint=12)
    out["signalled_current"] = ems.read(first, REG_SIGNALLED)[0]
    ems.set_current(first, 0)
    out["follow_pause"] = ems.follow(first, 1.5, setpoint=0)
    ems.set_current(first, 10)
    out["follow_10"] = ems.follow(first, 4, setpoint=10)

    # Energy, 2 s apart while charging at 10 A.
    out["energy_before"] = ems.u32_at(first, REG_ENERGY)
    out["session_energy_before"] = ems.u32_at(first, REG_SESSION_ENERGY)
    ems.follow(first, 2, setpoint=10)
    out["energy_after"] = ems.u32_at(first, REG_ENERGY)
    out["session_energy_after"] = ems.u32_at(first, REG_SESSION_ENERGY)
    out["session_duration"] = ems.u32_at(first, REG_SESSION_DURATION)
    out["power"] = ems.u32_at(first, REG_POWER)

    # Bad requests: 02 for an address the table does not define, 03 for an out-of-range limit.
    out["unknown_address_exception"] = ems.read_exception(first, REG_UNKNOWN, 1)
    out["out_of_range_exception"] = ems.try_write(first, REG_HEMS_LIMIT, 3)
    out["setpoint_after_bad_write"] = ems.read(first, REG_HEMS_LIMIT)[0]

    silent_master_and_takeover(ems, out, first)


def probe(ems, out):
    c = ems.connect()

    def text(address, count):
        return ems.read_or_exception(c, address, count, ascii_of)

    def word(address):
        return ems.read_or_exception(c, address, 1, lambda registers: registers[0])

    def dword(address):
        return ems.read_or_exception(c, address, 2, u32)

    out["firmware"] = text(REG_FIRMWARE, 2)
    out["ocpp_status"] = word(REG_OCPP)
    out["vehicle_state"] = word(REG_VEHICLE)
    out["safe_current"] = word(REG_SAFE_CURRENT)
    out["comm_timeout"] = word(REG_TIMEOUT)
    out["model"] = text(REG_MODEL, 10)
    out["power_phases"] = [dword(REG_POWER_L1 + 2 * i) for i in range(3)]
    out["currents_ma"] = [dword(REG_CURRENT_L1 + 2 * i) for i in range(3)]
    out["energy_wh"] = dword(REG_ENERGY)
    out["power_w"] = dword(REG_POWER)
    out["voltages"] = [dword(REG_VOLTAGE_L1 + 2 * i) for i in range(3)]
    out["signalled_current"] = word(REG_SIGNALLED)
    out["session_energy_wh"] = dword(REG_SESSION_ENERGY)
    out["session_duration_s"] = dword(REG_SESSION_DURATION)
    out["user_id"] = text(REG_USER_ID, 10)
    out["hems_limit"] = word(REG_HEMS_LIMIT)
    # Block reads as evcc does them (6 registers per phase triple).
    out["currents_block"] = ems.read_or_exception(c, REG_CURRENT_L1, 6,
                                                  lambda block: [u32(block[i:i + 2]) for i in (0, 2, 4)])
    # Registers outside the face that evcc probes; an exception means "feature absent" to evcc.
    out["outside_face"] = {str(a): word(a) for a in (120, 140, 200, 705, 709, 730, 740, 1001, 1002)}
    c.close()


if __name__ == "__main__":
    # --current: 0 (no charging) or 6-80 A, what 1000 accepts.
    sys.exit(main(__doc__, BenderEms, drive, probe, {0, *range(6, 81)}, "0 or 6-80 A"))
