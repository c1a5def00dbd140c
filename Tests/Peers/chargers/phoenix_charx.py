"""Phoenix Contact CHARX SEC-3xxx (CHARX control modular) charging controller: its Modbus/TCP server,
charging point 1 (registers 1xxx).

Follows Phoenix Contact, "UM EN CHARX SEC, CHARX control modular, Installing and starting up the
charging controller" (109999_en), revision 08, Appendix B3 "Modbus/TCP server" register tables
(as transcribed by the open-source aiophoenixcontactcharx library, registers.py, and by evcc's
charger/phoenix-charx.go):
- global registers 100-167 (100 device designation, 10 words ASCII; 110 software version, 4 words;
  114 number of controllers; 152 group active power mW; 158-162 group currents mA; 167 dynamic
  maximum current of the load management group);
- per charging point x at x*1000 + offset: configuration 100-123 (101 maximum current, 102 minimum
  current, 112 energy meter type, 120 release mode, 5 = Modbus), status 232-299 (232-236 voltages
  mV, 238-242 currents mA (int32, -1 when the phase is unknown), 244 active power mW, 250 active
  energy Wh (uint64), 265 EVCCID, 275 last RFID, 285 connection time s, 287 charging duration s,
  289 session energy Wh (uint64), 293 error code, 296/297 set point % and A, 298 cable capacity A,
  299 vehicle status as two ASCII characters, e.g. 'C2'), control 300-308 (300 charging release,
  301 maximum charging current 6-80 A, 304 availability (0 = status F), 306 watchdog current A,
  307 watchdog time s, 65535 = off).
Holding and input registers answer the same (evcc's note); 32/64-bit values are high word first.
The controller answers unit id 1.

Writes: 301 outside 6-80 A withdraws the charging release (the manual's rule; the write itself is
accepted); 300/304 take 0/1, 306 takes 6-80, 307 takes 1-65535; other values answer 03, a write to
a read-only register answers 02. Watchdog: when the master writes nothing to the control registers
for the watchdog time (307, off until set), the charging point falls back to the watchdog current
(306) until the next write.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from charger_engine import ExcCodes, Model, run, words_text, words_u32  # noqa: E402

CP = 1000          # charging point 1
WATCHDOG_OFF = 65535


def words_u64(value):
    value = int(value) & 0xFFFFFFFFFFFFFFFF
    return [(value >> shift) & 0xFFFF for shift in (48, 32, 16, 0)]


def status_word(code):
    return (ord(code[0]) << 8) | ord(code[1])


class CharxSec3000(Model):
    """Phoenix Contact CHARX SEC-3xxx Modbus/TCP server (charging point 1)"""
    NAME = "phoenix-charx"
    UNITS = (1,)
    MIN_A = 6
    MAX_A = 32
    WATCHDOG = "validity"          # any write to the control registers renews it; set_timeout too
    DEFAULT_TIMEOUT_S = WATCHDOG_OFF
    DEFAULT_SAFE_A = 6
    SWITCHABLE = False

    def __init__(self, args):
        super().__init__(args)
        self.release = 1               # 300: charging release (Modbus release mode)
        self.available = 1             # 304
        self.max_current = int(self.max_a)   # 301
        self.watchdog_s = int(self.timeout_s) if args.timeout else WATCHDOG_OFF
        if self.watchdog_s == WATCHDOG_OFF:
            self.timeout_s = float("inf")

    def blocks(self):
        spans = [(100, 68), (CP + 100, 24), (CP + 232, 77)]
        return {"hr": {1: spans}, "ir": {1: spans}}

    def apply(self):
        if self.release and self.available:
            self.resume()
        else:
            self.pause()

    def vehicle_status(self):
        if not self.available:
            return "F0"
        if not self.plugged:
            return "A1"
        if self.draw_a > 0:
            return "C2"
        if self.allowed_a < self.MIN_A:
            return "B1"                # no PWM: the EVSE does not offer current
        return "B2"                    # PWM on, the vehicle does not draw

    def image(self, table, unit):
        regs = {}

        def put(address, words):
            for i, word in enumerate(words):
                regs[address + i] = word & 0xFFFF

        put(100, words_text("CHARX SEC-3100", 10))
        put(110, words_text("1.9.0", 4))
        put(114, [1])
        put(115, [0] * 52)                                    # MACs, IPs, modem, counters (0)
        put(149, [0 if self.plugged else 1, 1 if self.plugged else 0, 1 if self.draw_a > 0 else 0])
        put(152, words_u32(self.power_w() * 1000))
        put(154, words_u32(0) + words_u32(self.power_w() * 1000))
        for p in range(3):
            put(158 + 2 * p, words_u32(self.current(p) * 1000))
        put(164, [1, 0, 0, int(self.max_a)])
        # charging point 1: configuration
        base = CP
        put(base + 100, [0, int(self.max_a), self.MIN_A, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2])
        put(base + 113, words_text("CP1", 3) + words_text("SRV", 3) + [1, 5] + [0, 0, 0])
        # status
        for p in range(3):
            put(base + 232 + 2 * p, words_u32(230000))
            put(base + 238 + 2 * p, words_u32(self.current(p) * 1000))
        put(base + 244, words_u32(self.power_w() * 1000))
        put(base + 246, words_u32(0) + words_u32(self.power_w() * 1000))
        put(base + 250, words_u64(self.energy_wh) + words_u64(0) + words_u64(self.energy_wh))
        put(base + 262, [0, 0, 0])
        put(base + 265, words_text("", 10))
        put(base + 275, words_text(self.tag if self.plugged else "", 10))
        put(base + 285, words_u32(self.session_s) + words_u32(self.session_s if self.draw_a > 0 else 0))
        put(base + 289, words_u64(self.session_wh))
        put(base + 293, words_u32(0) + [0])
        offered = 0 if self.allowed_a < self.MIN_A else int(min(self.allowed_a, self.max_a))
        put(base + 296, [int(offered * 100 / self.max_a), offered, 32 if self.plugged else 0])
        put(base + 299, [status_word(self.vehicle_status())])
        # control
        put(base + 300, [self.release, self.max_current, 0, 0, self.available, 0,
                         int(self.safe_a), self.watchdog_s, 0])
        return regs

    def write(self, unit, address, values):
        writable = range(CP + 300, CP + 309)
        for offset, value in enumerate(values):
            reg = address + offset
            if reg not in writable:
                return ExcCodes.ILLEGAL_ADDRESS
            if reg in (CP + 300, CP + 304, CP + 303, CP + 305) and value not in (0, 1):
                return ExcCodes.ILLEGAL_VALUE
            if reg == CP + 306 and not 6 <= value <= 80:
                return ExcCodes.ILLEGAL_VALUE
            if reg == CP + 307 and value == 0:
                return ExcCodes.ILLEGAL_VALUE
        self.feed()                                   # a new value from the master
        for offset, value in enumerate(values):
            reg = address + offset
            if reg == CP + 300:
                self.release = value
                self.apply()
            elif reg == CP + 301:
                if 6 <= value <= 80:
                    self.max_current = value
                    self.allow(min(value, self.max_a))
                else:                                 # out of range: release withdrawn
                    self.release = 0
                    self.apply()
            elif reg == CP + 304:
                self.available = value
                self.apply()
            elif reg == CP + 306:
                self.set_safe(value)
            elif reg == CP + 307:
                self.watchdog_s = value
                self.set_timeout(value)
                if value == WATCHDOG_OFF:
                    self.timeout_s = float("inf")
        return None


if __name__ == "__main__":
    run(CharxSec3000)
