"""Webasto NEXT (also sold as Ampure NEXT) emulated as its Modbus TCP server ("HEMS activated").

Follows the vendor document "Webasto NEXT Modbus Register" 1-00 external V3 (the register table of
the charger's TQ-DM100 controller), as reproduced by public integrations built from it: the
register description in nymea/nymea-plugins-modbus webasto/webasto-next-registers.json, the
register table of tomwellnitz/Webasto-Next-Modbus (custom_components/webasto_next_modbus/const.py
and docs/architecture.md, which ships the PDF) and the comments of cdrfun/webasto_next
packages/modbus_webasto.yaml:
  - Modbus TCP, port 502, unit id 255, one master at a time; holding registers, big-endian words
    (the integrations read the measurements with function 04 as well, so both answer here);
  - 1000 charge point state (0 available/no vehicle, 1 vehicle attached without permission,
    3 charging, 4 charging paused, 7 error, 8 reserved), 1001 charging state (0 idle,
    1 charging), 1002 EVSE state (0 starting, 1 running, 2 error, 3 disabled, 4 updating),
    1004 cable state (0…3), 1006 fault code, 1008/1010/1012 currents (mA), 1020 total and
    1024/1028/1032 per-phase active power (uint32 W), 1036 meter reading (uint32 Wh),
    1100…1108 current limits (session, EVSE min/max, cable, EV; A), 1502 energy of the last
    session (Wh), 1504 start time, 1508 duration (s), 1512 end time, 1600 user id (20 chars),
    1620 smart vehicle detected;
  - 2000 failsafe current (6…32 A), 2002 failsafe timeout (6…120 s, 20 s by default),
    5000 charge power (uint32 W), 5004 charge current (0…32 A), 5006 charging action
    (1 start session, 2 cancel session), 6000 life bit: the EMS writes 1, the station checks it
    every timeout/2, resets it to 0 and falls back to the failsafe current when it finds 0.
Assumptions (see the map's notes): registers between the listed ones inside a section read 0
rather than answering exception 02; 0 written to 2002 switches the monitoring off.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from charger_engine import ExcCodes, Model, run, words_text, words_u32  # noqa: E402

SPANS = [(1000, 38), (1100, 9), (1502, 12), (1600, 22), (2000, 3), (5000, 7), (6000, 1)]


class WebastoNext(Model):
    """Webasto NEXT (Modbus TCP, unit 255)."""
    NAME = "Webasto NEXT"
    UNITS = (255,)
    MIN_A = 6
    MAX_A = 32
    WATCHDOG = "alive"
    DEFAULT_TIMEOUT_S = 20
    DEFAULT_SAFE_A = 6
    SWITCHABLE = False

    def __init__(self, args):
        super().__init__(args)
        self.charge_current = 0      # 5004 as last written
        self.charge_power = 0        # 5000
        self.last_session_wh = 0

    def blocks(self):
        return {"hr": {255: SPANS}, "ir": {255: SPANS}}

    def state_code(self):
        if not self.plugged:
            return 0
        if self.draw_a > 0:
            return 3
        return 4                       # vehicle attached, charging paused (by the EMS or the car)

    def image(self, table, unit):
        now = time.monotonic()
        img = {}
        img[1000] = self.state_code()
        img[1001] = 1 if self.draw_a > 0 else 0
        img[1002] = 1
        img[1004] = 0 if not self.plugged else (3 if self.draw_a > 0 else 2)
        img[1006] = 0
        for i in range(3):
            img[1008 + 2 * i] = int(round(self.current(i) * 1000))
        img[1020], img[1021] = words_u32(round(self.power_w()))
        for i in range(3):
            img[1024 + 4 * i], img[1025 + 4 * i] = words_u32(round(self.power_w(i)))
        img[1036], img[1037] = words_u32(round(self.energy_wh))
        ev_a = int(self.ev_max_a) if self.plugged else 0
        img[1100] = int(min(self.max_a, ev_a)) if self.plugged else int(self.max_a)
        img[1102] = self.MIN_A
        img[1104] = int(self.max_a)
        img[1106] = 32 if self.plugged else 0
        img[1108] = ev_a
        img[1502] = int(self.last_session_wh) & 0xFFFF
        img[1504], img[1505] = words_u32(0)
        img[1508], img[1509] = words_u32(self.session_s)
        img[1512], img[1513] = words_u32(0)
        for i, word in enumerate(words_text(self.tag if self.plugged else "", 10)):
            img[1600 + i] = word
        img[1620], img[1621] = words_u32(0)
        img[2000] = int(self.safe_a)
        img[2002] = int(self.timeout_s) if self.timeout_s < 65536 else 0
        img[5000], img[5001] = words_u32(self.charge_power)
        img[5004] = self.charge_current
        fed = self.last_feed is not None and now - self.last_feed < self.timeout_s / 2
        img[6000] = 1 if fed else 0    # the station clears it at its next check
        return img

    def write(self, unit, address, values):
        if address == 5000 and len(values) == 2:   # charge power, uint32 W (not used by the bridge)
            self.charge_power = (values[0] << 16) | values[1]
            return None
        return self.write_each(address, values)

    def write_one(self, address, value):
        if address == 6000:                         # life bit
            if value == 1:
                self.feed()
            elif value != 0:
                return ExcCodes.ILLEGAL_VALUE
            return None
        if address == 5004:                         # charge current, A
            if not 0 <= value <= 32:
                return ExcCodes.ILLEGAL_VALUE
            self.charge_current = value
            if value < self.MIN_A:
                self.pause()
            else:
                self.allow(value)
                self.resume()
            return None
        if address == 2000:                         # failsafe current, A
            if not 6 <= value <= 32:
                return ExcCodes.ILLEGAL_VALUE
            self.set_safe(value)
            return None
        if address == 2002:                         # failsafe timeout, s (0: off)
            if value != 0 and not 6 <= value <= 120:
                return ExcCodes.ILLEGAL_VALUE
            self.set_timeout(value if value else 10 ** 9)
            return None
        if address == 5006:                         # charging action
            if value == 1:
                self.resume()
            elif value == 2:
                self.pause()
            elif value != 0:
                return ExcCodes.ILLEGAL_VALUE
            return None
        return ExcCodes.ILLEGAL_ADDRESS             # read-only or undefined


if __name__ == "__main__":
    run(WebastoNext)
