"""Bender CC612/CC613 charge controller (AMTRON Professional, ebee-based wallboxes): its Modbus TCP
server with the register address set "Ebee/Bender/MENNEKES" (the vendor's own set, not "Phoenix"
or "TQ-DM100").

Follows:
- Bender, "Charge Controller documentation, Modbus TCP API", version 5.32 (based on revision v0.14),
  §2 Modbus Unit ID (any unit id 1-255 answers), §3 multiple connectors (second connector on base
  port + 1), §4 word and byte ordering (high byte first, high word first), §5 lowering the charging
  current (the HEMS writes HEMS_CURRENT_LIMIT; SIGNALED_CURRENT may be lower);
- the controller's built-in register documentation "Modbus TCP Slave Protokollregister, Open Modbus
  Charge Control Interface (OMCCI)" (Configuration Interface, Dokumentation > Modbus Slave Registers,
  as published for the CC613): holding registers 100-152 (104 OCPP CP status, 122 vehicle state
  A=1..E=5, 124 availability, 131 safe current (A), 132 communication timeout (s), 133/134 hardware
  and operator current limits), 200-227 meter values, 700-746 session values, 1000 HEMS current limit.
Encodings the vendor tables leave open (units of 200-227 and 716-719, the relay-state values of 140,
the EV-detection register 740) follow evcc's charger/bender.go (evcc-io/evcc), which documents them.

Every register is a holding register (function 03 read, 06/16 write). Addresses outside the four
areas answer exception 02. Writes: 1000 takes 0 (no charging) or 6..hardware limit (A), 131 takes
0..hardware limit, 132 takes 0..3600 s (0 = no timeout), 124 takes 0/1; other values answer 03, a
write to a read-only register answers 02. Watchdog: when no write has reached the controller for the
communication timeout (132), it offers the safe current (131) until the next write.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from charger_engine import ExcCodes, Model, run, words_text, words_u32  # noqa: E402

# OCPP CP status of register 104 (OCPP 1.5/1.6 ChargePointStatus as the controller numbers it)
AVAILABLE, OCCUPIED, RESERVED, UNAVAILABLE, FAULTED = 0, 1, 2, 3, 4
PREPARING, CHARGING, SUSPENDED_EVSE, SUSPENDED_EV, FINISHING = 5, 6, 7, 8, 9
VEHICLE_STATE = {"A": 1, "B": 2, "C": 3, "D": 4, "E": 5}


class BenderCC613(Model):
    """Bender CC613 Modbus TCP server (OMCCI register set)"""
    NAME = "bender-cc613"
    UNITS = tuple(range(1, 256))   # §2: the server answers any unit id 1..255
    MIN_A = 6
    MAX_A = 32
    WATCHDOG = "validity"          # any write from the master is communication; set_timeout feeds too
    DEFAULT_TIMEOUT_S = 60         # not stated by the vendor; a master sets 132 itself
    DEFAULT_SAFE_A = 6
    SWITCHABLE = False             # 1p/3p only through SEMP (HTTP) or Mennekes 4You extras, not here

    def __init__(self, args):
        super().__init__(args)
        self.hems_a = int(self.max_a)     # 1000: no HEMS limit below the hardware limit yet
        self.available = 1                # 124
        self.comm_timeout = int(self.timeout_s)   # 132 as written (0 = no timeout)
        self.firmware = "5.33"
        self.model = "CC613-EMU"

    def blocks(self):
        spans = [(100, 53), (200, 28), (700, 47), (1000, 1)]
        return {"hr": {unit: spans for unit in self.UNITS}}

    def status(self):
        if self.available == 0:
            return UNAVAILABLE
        if not self.plugged:
            return AVAILABLE
        if self.draw_a > 0:
            return CHARGING
        if self.allowed_a < self.MIN_A:
            return SUSPENDED_EVSE
        if self.ev_max_a < self.MIN_A:
            return SUSPENDED_EV
        return PREPARING

    def image(self, table, unit):
        if table != "hr":
            return {}
        regs = {}

        def put(address, words):
            for i, word in enumerate(words):
                regs[address + i] = word

        put(100, words_text(self.firmware, 2))
        put(104, [self.status()])
        put(105, [0] * 8)                                  # error codes 1-4: none
        put(120, words_text("0.6", 2))                     # protocol version, as the example
        state = self.iec
        put(122, [VEHICLE_STATE[state], 0x0A + VEHICLE_STATE[state] - 1, self.available])
        put(131, [int(self.safe_a), self.comm_timeout, int(self.max_a), int(self.max_a)])
        put(135, [0] * 5)                                  # RCMB mode and last values
        relays = 0 if self.draw_a <= 0 else (5 if self.draw_phases == 1 else 1)
        put(140, [relays])
        put(142, words_text(self.model, 10))
        put(152, [0])
        phases = max(1, min(3, self.ev_phases))
        for p in range(3):
            put(200 + 2 * p, words_u32(self.energy_wh / phases if p < phases else 0))
            put(206 + 2 * p, words_u32(self.power_w(p)))
            put(212 + 2 * p, words_u32(self.current(p) * 1000))          # mA
            put(222 + 2 * p, words_u32(230))                             # V
        put(218, words_u32(self.energy_wh))
        put(220, words_u32(self.power_w()))
        put(705, [min(int(self.session_wh), 0xFFFF)])
        signalled = 0 if self.allowed_a < self.MIN_A else int(min(self.allowed_a, self.max_a))
        put(706, [signalled])
        put(707, words_u32(0))                                      # start time hhmmss: no clock
        put(709, [min(self.session_s, 0xFFFF)])
        put(710, words_u32(0))
        put(712, [self.MIN_A])
        put(713, words_u32(0))
        put(715, [int(self.ev_max_a) if self.plugged else 0])
        put(716, words_u32(self.session_wh))
        put(718, words_u32(self.session_s))
        put(720, words_text(self.tag if self.plugged else "", 10))
        put(730, [0])                                               # EV battery state (no ISO 15118)
        put(740, [0] + [0] * 6)                                     # not a smart vehicle, no EVCCID
        put(1000, [self.hems_a])
        return regs

    def write(self, unit, address, values):
        writable = {124, 131, 132, 1000}
        for offset, value in enumerate(values):
            reg = address + offset
            if reg not in writable:
                return ExcCodes.ILLEGAL_ADDRESS
            if reg == 1000 and not (value == 0 or self.MIN_A <= value <= self.max_a):
                return ExcCodes.ILLEGAL_VALUE
            if reg == 131 and not (0 <= value <= self.max_a):
                return ExcCodes.ILLEGAL_VALUE
            if reg == 132 and not (0 <= value <= 3600):
                return ExcCodes.ILLEGAL_VALUE
            if reg == 124 and value not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
        self.feed()                                   # any accepted write is communication
        for offset, value in enumerate(values):
            reg = address + offset
            if reg == 1000:
                self.hems_a = value
                if value == 0:
                    self.pause()
                else:
                    self.allow(value)
                    self.resume()
            elif reg == 131:
                self.set_safe(value)
            elif reg == 132:
                self.comm_timeout = value
                self.set_timeout(value)
                if value == 0:
                    self.timeout_s = float("inf")     # 0: the controller never falls back
            elif reg == 124:
                self.available = value
        return None


if __name__ == "__main__":
    run(BenderCC613)
