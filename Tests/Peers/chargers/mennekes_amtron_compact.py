"""MENNEKES AMTRON Compact 2.0s in energy-manager (satellite) mode, Modbus RTU.

Follows the MENNEKES document "Modbus RTU AMTRON Compact 2.0s - Description" (v1.2, and the
register layout 1.0.3 of its successor, Modbus RTU specification v2.0 of 2024-03-21): sections
General information (0x0000), Status (0x0100), Configuration (0x0300), Output measurements (0x0500),
Settings (0x0700), Input measurements (0x0900), Charging session (0x0B00), Functions (0x0D00),
Diagnostic (0x0E00), Statistics (0x1000). Every register is a holding register; floats are IEEE754,
high word first. Unit id 50 (satellite DIP setting), 57600 baud 8N2 on the real RS485 bus.

- 0x0302 charging current energy manager, float32 A: 0 = no limitation, 0.01-5.99 = 0 A signalled,
  6…max = the limit; anything else answers 03.
- 0x0D00 heartbeat: 0x55AA at least every 10 s, else "master lost" (0x0E01 = 1) and the fallback
  of 0x073A (0 = disabled, 1 = pause, 6-32 A; this emulator starts with 1 = pause).
- 0x0D05 charging release: 0 = relays open, 1 = allowed. 0x0D04 requested phases: 0 all, 1 one,
  only where the hardware can switch (0x030C = 2: the 11 kW variant, run with --max-a 16); the
  22 kW variant (default here) answers 03.
- Undefined addresses answer exception 02 (the engine), read-only registers refuse writes with 02.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from charger_engine import (ExcCodes, Model, run, value_f32, words_f32, words_text,  # noqa: E402
                            words_u32)

HEARTBEAT = 0x55AA


class AmtronCompact(Model):
    """MENNEKES AMTRON Compact 2.0s (Modbus RTU, energy-manager mode)"""
    NAME = "mennekes-amtron-compact"
    UNITS = (50,)
    MIN_A = 6
    MAX_A = 32
    WATCHDOG = "alive"
    DEFAULT_TIMEOUT_S = 10     # fixed on the charger
    DEFAULT_SAFE_A = 0         # fallback 1 = pause
    SWITCHABLE = False

    def __init__(self, args):
        super().__init__(args)
        # the 11 kW variant (16 A) can switch phases, the 22 kW one cannot
        self.switchable = self.max_a <= 16
        self.em_current = 0.0      # 0x0302: 0 = no limitation
        self.release = 1           # 0x0D05
        self.fallback_setting = 1  # 0x073A
        self.requested_phases = 0  # 0x0D04
        self.solar_mode = 0        # 0x0D03
        self.lock = 0              # 0x0D06
        self.settings = {0x0706: 0, 0x070A: 0, 0x0710: 2, 0x071A: 0, 0x073C: 0, 0x078C: 120}
        self.sessions = 1
        self.allow(self.max_a)

    # --- layout -----------------------------------------------------------------------------
    def blocks(self):
        spans = [(0x0000, 9), (0x0013, 8), (0x0100, 4), (0x0108, 1), (0x0114, 2), (0x0300, 8),
                 (0x030A, 1), (0x030C, 9), (0x0500, 20), (0x0706, 1), (0x070A, 1), (0x0710, 1),
                 (0x071A, 1), (0x073A, 1), (0x073C, 1), (0x078C, 1), (0x0900, 2), (0x0B00, 7),
                 (0x0D00, 1), (0x0D02, 5), (0x0D19, 1), (0x0E00, 3), (0x1000, 4)]
        return {"hr": {unit: spans for unit in self.UNITS}}

    def evse_state(self):
        if not self.plugged:
            return 1
        if self.draw_a > 0:
            return 5
        offered = min(self.allowed_a, self.max_a)
        if self.paused and not self.fallback or offered < self.MIN_A or self.lock:
            return 2               # B1: no PWM
        return 4                   # B2: PWM on, the car does not draw

    def cp_state(self):
        return {1: 10, 2: 11, 4: 27, 5: 28}[self.evse_state()]

    def image(self, table, unit):
        if table != "hr":
            return {}
        words = {}

        def put(address, values):
            for i, value in enumerate(values):
                words[address + i] = value

        offered = 0.0 if self.evse_state() == 2 else min(self.allowed_a, self.max_a)
        put(0x0000, [0x0103] + words_text("1.0.3", 8))
        put(0x0013, words_text(self.serial[:16], 8))
        authorised = 0 if not self.plugged else (1 if self.release else 2)
        put(0x0100, [self.evse_state(), authorised, 1 if self.plugged else 0, 0])
        put(0x0108, [self.cp_state()])
        put(0x0114, words_f32(offered if self.plugged else 0.0))
        put(0x0300, words_f32(self.max_a) + words_f32(self.em_current) + words_f32(self.max_a)
            + words_f32(self.max_a))
        put(0x030A, [2 if self.switchable else 1])
        put(0x030C, [2 if self.switchable else 1, 0, self.fallback_setting, 0, 20, 2, 0, 6, 120])
        measures = []
        for phase in range(3):
            measures += words_f32(self.current(phase))
        for phase in range(3):
            measures += words_f32(230.0)
        for phase in range(3):
            measures += words_f32(self.power_w(phase))
        measures += words_f32(self.power_w())
        put(0x0500, measures)
        for address, value in self.settings.items():
            put(address, [value])
        put(0x073A, [self.fallback_setting])
        put(0x0900, words_f32(31.5))
        put(0x0B00, words_f32(min(self.allowed_a, self.max_a) if self.plugged else 0.0)
            + words_f32(self.session_wh / 1000) + words_u32(self.session_s)
            + [self.draw_phases if self.plugged else 0])
        put(0x0D00, [0])
        put(0x0D02, [2 if self.plugged else 1, self.solar_mode, self.requested_phases, self.release, self.lock])
        put(0x0D19, [0])
        put(0x0E00, [0, 1 if self.fallback else 0, 1 if self.phases == 1 else 0])
        put(0x1000, words_f32(self.energy_wh / 1000) + words_u32(self.sessions))
        return words

    # --- writes -----------------------------------------------------------------------------
    def write(self, unit, address, values):
        if address <= 0x0302 < address + len(values) or address <= 0x0303 < address + len(values):
            if address != 0x0302 or len(values) != 2:
                return ExcCodes.ILLEGAL_VALUE          # half a float
            amps = value_f32(values)
            if not (amps == amps) or amps < 0 or amps > self.max_a:
                return ExcCodes.ILLEGAL_VALUE
            self.em_current = amps
            self.allow(self.max_a if amps == 0 else amps)   # 0 = no limitation
            return None
        return self.write_each(address, values)

    def write_one(self, address, value):
        if address == 0x0D00:
            if value != HEARTBEAT:
                return ExcCodes.ILLEGAL_VALUE
            self.feed()
        elif address == 0x0D05:
            if value not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
            self.release = value
            self.resume() if value else self.pause()
        elif address == 0x0D04:
            if value not in (0, 1) or not self.switchable:
                return ExcCodes.ILLEGAL_VALUE
            self.requested_phases = value
            self.select_phases(1 if value else 3)
        elif address == 0x0D03:
            if value > 3:
                return ExcCodes.ILLEGAL_VALUE
            self.solar_mode = value
        elif address == 0x0D06:
            if value not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
            self.lock = value
        elif address == 0x0D19:
            if value != 0x00BB:
                return ExcCodes.ILLEGAL_VALUE
        elif address == 0x073A:
            if value not in (0, 1) and not 6 <= value <= 32:
                return ExcCodes.ILLEGAL_VALUE
            self.fallback_setting = value
            # 1 = pause, 6-32 = go on with that current, 0 = no fallback (modelled as the maximum)
            self.set_safe(0 if value == 1 else (self.max_a if value == 0 else value))
        elif address in self.settings:
            limits = {0x0706: 6, 0x070A: 2, 0x0710: 2, 0x071A: 3, 0x073C: 1, 0x078C: 1200}
            if value > limits[address] or (address == 0x0710 and value == 1):
                return ExcCodes.ILLEGAL_VALUE
            self.settings[address] = value
        else:
            return ExcCodes.ILLEGAL_ADDRESS            # read-only register
        return None


if __name__ == "__main__":
    run(AmtronCompact)
