"""KEBA KeContact P30 x-series (with the phase-switch option) as its Modbus TCP slave.

Follows KEBA "KeContact P30 Charging Station - Modbus TCP Programmers Guide":
  V 1.02 §3 readable data: every value a UINT32 in two registers (high word first) - 1000 charging
    state (0 start-up, 1 not ready, 2 ready, 3 charging, 4 error, 5 suspended), 1004 cable state
    (0, 1, 3, 5, 7), 1006 error code, 1008/1010/1012 currents (mA), 1014 serial, 1016 product type
    and features, 1018 firmware, 1020 active power (mW), 1036 total energy, 1040/1042/1044 voltages
    (V), 1046 power factor (0.1 %), 1100 max charging current (mA), 1110 max supported current (mA),
    1500 RFID card, 1502 charged energy;
  V 1.02 §4 writeable data: UINT16 - 5004 set charging current (mA, 6000-63000), 5010 set energy
    (10 Wh), 5012 unlock plug, 5014 enable (1) / disable (0) charging station;
  later versions (V 1.07, 12.2025): unit id 255, functions 03 and 06 only, one 32-bit value per read
    (no block reads), 1036/1502 in 0.1 Wh, 1550/1552 phase-switch source/state, 1600/1602 failsafe
    current/timeout read back, 5016 failsafe current (mA), 5018 failsafe timeout (s), 5020 persist
    failsafe, 5050 phase-switch source (3 = Modbus), 5052 phase switch (0 one phase, 1 three);
  UDP Programmers Guide V 2.01 "failsafe": timeout 0 (off) or 10-600 s, current 0 or 6000-63000 mA.
Emulator choices the guides leave open: the failsafe is off until a master writes 5018 (default
timeout 0, failsafe current 63000 mA); only a write of 5018 restarts the failsafe timer; 5052 is
refused (03) unless the source 5050 is 3; the source starts at 3 (as an installer would leave it);
a read of more than 2 registers, or with a function other than 03, is refused.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from charger_engine import ExcCodes, Model, run, words_u32  # noqa: E402

READABLE = (1000, 1004, 1006, 1008, 1010, 1012, 1014, 1016, 1018, 1020, 1036, 1040, 1042, 1044, 1046,
            1100, 1110, 1500, 1502, 1550, 1552, 1600, 1602)
WRITABLE = (5004, 5010, 5012, 5014, 5016, 5018, 5020, 5050, 5052)
UNIT = 255


class KebaP30(Model):
    """KEBA KeContact P30 x-series, socket, 32 A, unit 255."""
    NAME = "keba-p30"
    UNITS = (UNIT,)
    MIN_A = 6
    MAX_A = 32
    WATCHDOG = "validity"      # rewriting the failsafe timeout (5018) restarts it
    DEFAULT_TIMEOUT_S = 0      # failsafe off until a master sets it
    DEFAULT_SAFE_A = 63        # failsafe current default 63000 mA (no limit)
    SWITCHABLE = True

    def __init__(self, args):
        super().__init__(args)
        self.timeout_setting = int(self.timeout_s)
        if self.timeout_s <= 0:
            self.timeout_s = math.inf          # 0 = failsafe off
        self.enabled = True
        self.phase_source = 3
        self.user_ma = 63000                   # 5004 default: no limit below the hardware maximum

    def blocks(self):
        spans = [(a, 2) for a in READABLE] + [(a, 1) for a in WRITABLE]
        return {"hr": {UNIT: spans}, "ir": {UNIT: spans}}

    # --- what the station reports ----------------------------------------------------------
    def charging_state(self):
        if not self.plugged:
            return 1
        if self.draw_a > 0:
            return 3
        if self.paused or min(self.allowed_a, self.max_a) < self.MIN_A:
            return 5                           # disabled, or failsafe current 0
        return 2

    def image(self, table, unit):
        if table != "hr":
            return {}
        regs = {}

        def put(address, value):
            regs[address], regs[address + 1] = words_u32(value)

        offered = min(self.allowed_a, self.max_a)
        put(1000, self.charging_state())
        put(1004, 7 if self.plugged else 0)
        put(1006, 0)
        for p in range(3):
            put(1008 + 2 * p, round(self.current(p) * 1000))
            put(1040 + 2 * p, 230)
        put(1014, int(''.join(c for c in self.serial if c.isdigit()) or 0) % 100000000)
        put(1016, 304011)                      # P30, socket, 32 A, x-series, meter, RFID
        put(1018, 10211)
        put(1020, round(self.power_w() * 1000))
        put(1036, round(self.energy_wh * 10))
        put(1046, 1000 if self.draw_a > 0 else 0)
        put(1100, round(offered * 1000) if offered >= self.MIN_A else 0)
        put(1110, round(self.max_a * 1000))
        put(1500, 0)
        put(1502, round(self.session_wh * 10))
        put(1550, self.phase_source)
        put(1552, 0 if self.phases == 1 else 1)
        put(1600, round(self.safe_a * 1000))
        put(1602, self.timeout_setting)
        return regs

    # --- what a master may write -----------------------------------------------------------
    def write(self, unit, address, values):
        if len(values) != 1 or address not in WRITABLE:
            return ExcCodes.ILLEGAL_ADDRESS
        value = values[0]
        if address == 5004:
            if not 6000 <= value <= 63000:
                return ExcCodes.ILLEGAL_VALUE
            self.user_ma = value
            self.allow(value / 1000)
        elif address == 5014:
            if value not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
            self.enabled = value == 1
            if self.enabled:
                self.resume()
            else:
                self.pause()
        elif address == 5016:
            if value != 0 and not 6000 <= value <= 63000:
                return ExcCodes.ILLEGAL_VALUE
            self.set_safe(value / 1000)
        elif address == 5018:
            if value != 0 and not 10 <= value <= 600:
                return ExcCodes.ILLEGAL_VALUE
            self.timeout_setting = value
            if value:
                self.set_timeout(value)        # restarts the failsafe timer (WATCHDOG = validity)
            else:
                self.timeout_s = math.inf      # failsafe off
                self.emit("timeout", s=0)
                self.feed()
        elif address == 5020:
            if value not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
        elif address == 5050:
            if value > 4:
                return ExcCodes.ILLEGAL_VALUE
            self.phase_source = value
        elif address == 5052:
            if value not in (0, 1) or self.phase_source != 3:
                return ExcCodes.ILLEGAL_VALUE
            self.select_phases(1 if value == 0 else 3)
        # 5010 set energy (10 Wh) and 5012 unlock plug: accepted, no effect on the emulated car
        return None

    def action_for(self, unit):
        served = super().action_for(unit)

        async def action(func_code, start, address, count, registers, values):
            if func_code not in (3, 6):        # only 03 and 06
                return ExcCodes.ILLEGAL_FUNCTION
            if func_code == 3 and (count > 2 or (count == 2 and address not in READABLE)):
                return ExcCodes.ILLEGAL_ADDRESS   # one 32-bit value per request, no block reads
            return await served(func_code, start, address, count, registers, values)
        return action


if __name__ == "__main__":
    run(KebaP30)
