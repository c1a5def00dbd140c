"""Alfen NG9xx (Eve Single Pro-line, NG910) as its Modbus TCP slave for energy management.

Follows Alfen N.V., "Implementation of Modbus Slave TCP/IP for Alfen NG9xx platform", version 2.3
(30-10-2020, firmware 4.10):
  §1      unit 200 answers the station registers, unit 1 the (only) socket; big-endian words;
  §1.1    functions 03, 06 and 16; the validity time is set on the station (default 60 s);
  §1.2    reserved or unavailable registers inside the table read NaN (0xFFFF per register);
  §1.3    a value spanning several registers must be written in one request, else an error;
  §1.3.1  every write of the max current restarts its remaining valid time; when it runs out the
          socket falls back to the Active Load Balancing safe current;
  §3.1    product identification 100-178 (unit 200); §3.2 station status 1100-1105 (unit 200);
  §3.4    socket measurements 300-425 and 1200-1215 (unit 1); §3.4.1 Mode 3 states.
The SCN registers (§3.3, 1400-1431) are not served: the emulated station has no SCN configured.
Choices the document leaves open: a max current that is negative or not a number is answered 03;
writes to read-only registers are answered 02; 1215 takes only 1 or 3 (else 03).
"""
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from charger_engine import (ExcCodes, Model, run, value_f32, words_f32, words_f64,  # noqa: E402
                            words_text, words_u32)

STATION, SOCKET = 200, 1
NAN32 = [0xFFFF, 0xFFFF]


def words_u64(value):
    value = int(value) & 0xFFFFFFFFFFFFFFFF
    return [(value >> shift) & 0xFFFF for shift in (48, 32, 16, 0)]


class AlfenNG9xx(Model):
    """Alfen NG9xx single-socket station (socket at unit 1, station at unit 200)."""
    NAME = "alfen-ng9xx"
    UNITS = (SOCKET, STATION)
    MIN_A = 6
    MAX_A = 32
    WATCHDOG = "setpoint"      # §1.3.1: writing the max current renews the validity time
    DEFAULT_TIMEOUT_S = 60     # §1.1: validity time default
    DEFAULT_SAFE_A = 6         # set in the installer app; 6 A assumed
    SWITCHABLE = True          # 1215, when "Allow 1- and 3-phased charging" is ticked

    def blocks(self):
        layout = {STATION: [(100, 79), (1100, 6)], SOCKET: [(300, 126), (1200, 16)]}
        # the same spans as input registers only so that function 04 reaches action() and is
        # answered 01 (illegal function) there, as §1.1 lists 03/06/16 only
        return {"hr": layout, "ir": layout}

    # --- what the station reports ----------------------------------------------------------
    def mode3(self):
        if not self.plugged:
            return "A"
        if self.draw_a > 0:
            return "C2"
        return "B2" if min(self.allowed_a, self.max_a) >= self.MIN_A else "B1"

    def image(self, table, unit):
        if table != "hr":
            return {}
        regs = {}

        def put(address, words):
            for i, word in enumerate(words):
                regs[address + i] = word

        if unit == STATION:
            now = time.gmtime()
            put(100, words_text("ALF_1000", 17))
            put(117, words_text("Alfen NV", 5))
            put(122, [1])
            put(123, words_text("4.10.0-EMU", 17))
            put(140, words_text("NG910", 17))
            put(157, words_text(self.serial[:21], 11))
            put(168, [now.tm_year, now.tm_mon, now.tm_mday, now.tm_hour, now.tm_min, now.tm_sec])
            put(174, words_u64((time.monotonic() - self.started) * 1000))
            put(178, [0])
            put(1100, words_f32(min(self.allowed_a, self.max_a)))
            put(1102, words_f32(35.0))
            put(1104, [1])
            put(1105, [1])
            return regs
        # socket 1
        phases = range(3)
        amps = [self.current(p) for p in phases]
        watts = [self.power_w(p) for p in phases]
        share = [self.energy_wh * (1 if p < max(self.draw_phases, 1) else 0) / max(self.draw_phases, 1)
                 for p in phases]
        put(300, [0x03])                       # initialised | updated
        put(301, words_u64(200))               # ms since the last measurement
        put(305, [0])                          # meter over RTU
        for p in phases:
            put(306 + 2 * p, words_f32(230.0))
            put(312 + 2 * p, words_f32(400.0))
            put(320 + 2 * p, words_f32(amps[p]))
            put(328 + 2 * p, words_f32(1.0))
            put(338 + 2 * p, words_f32(watts[p]))
            put(346 + 2 * p, words_f32(watts[p]))
            put(354 + 2 * p, words_f32(0.0))
            put(362 + 4 * p, words_f64(share[p]))
            put(378 + 4 * p, words_f64(0.0))
            put(394 + 4 * p, words_f64(share[p]))
            put(410 + 4 * p, words_f64(0.0))
        put(318, words_f32(0.0))
        put(326, words_f32(sum(amps)))
        put(334, words_f32(1.0))
        put(336, words_f32(50.0))
        put(344, words_f32(sum(watts)))
        put(352, words_f32(sum(watts)))
        put(360, words_f32(0.0))
        put(374, words_f64(self.energy_wh))
        put(390, words_f64(0.0))
        put(406, words_f64(self.energy_wh))
        put(422, words_f64(0.0))
        remaining = 0
        if self.last_feed is not None and not self.fallback:
            remaining = max(0, math.ceil(self.timeout_s - (time.monotonic() - self.last_feed)))
        put(1200, [1])
        put(1201, words_text(self.mode3(), 5))
        put(1206, words_f32(min(self.allowed_a, self.max_a)))
        put(1208, words_u32(remaining))
        put(1210, words_f32(self.limit_a))
        put(1212, words_f32(self.safe_a))
        put(1214, [1 if self.last_feed is not None and not self.fallback else 0])
        put(1215, [self.phases])
        return regs

    # --- what a master may write -----------------------------------------------------------
    def write(self, unit, address, values):
        if unit == SOCKET and address == 1210:
            if len(values) != 2:               # §1.3: both registers of the float in one request
                return ExcCodes.ILLEGAL_VALUE
            amps = value_f32(values)
            if not math.isfinite(amps) or amps < 0:
                return ExcCodes.ILLEGAL_VALUE
            self.allow(amps)                   # renews the validity time (WATCHDOG = setpoint)
            if amps < self.MIN_A:
                self.pause()
            else:
                self.resume()
            return None
        if unit == SOCKET and address == 1211:
            return ExcCodes.ILLEGAL_VALUE      # half a float
        if unit == SOCKET and address == 1215:
            if len(values) != 1 or values[0] not in (1, 3):
                return ExcCodes.ILLEGAL_VALUE
            self.select_phases(values[0])
            return None
        return ExcCodes.ILLEGAL_ADDRESS        # everything else is read-only

    def action_for(self, unit):
        served = super().action_for(unit)

        async def action(func_code, start, address, count, registers, values):
            if func_code not in (3, 6, 16):    # §1.1: only 03, 06 and 16
                return ExcCodes.ILLEGAL_FUNCTION
            return await served(func_code, start, address, count, registers, values)
        return action


if __name__ == "__main__":
    run(AlfenNG9xx)
