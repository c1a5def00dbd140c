"""Schneider Electric EVlink Pro AC (EVB3S…) emulated as its Modbus TCP server.

Follows the vendor document "EVlink Pro AC – Modbus Connectivity Guide", GEX1969300 revision 04
(06/2023), section "EVlink Pro AC Modbus interface", as its register table is reproduced by public
third-party copies (the my-gekko device database profile "Schneider Electric EVlink Pro AC
Registerlist", the star.ke.st connector library page "Schneider EVlink Pro AC EV charger") and
confirmed on a real charger by the request/response traces in evcc-io/evcc pull request #9436:
  - Modbus TCP, unit id 255; data refreshed every second;
  - a read touching an address outside the defined ranges answers exception 02; inside the two
    reserved windows 2999…3222 and 4000…4079 unmapped registers read 0xFFFF;
  - 1 evState, 150 OCPP status (0 init … 9 faulted), 1150 EV presence, 1212…1214 firmware
    major/minor/build; 2999… float32 measurements (currents A, voltages V, powers kW, frequency
    Hz), 3203 total active energy uint64 Wh; multi-register values low word first (the evcc traces:
    3059 answered d35a 4118 = 9.55 kW, 3203 answered 5210 0000 0000 0000 = 21008 Wh);
  - 4000 lifebit (the EMS writes 1, the station resets it to 0; 2 deactivates the monitoring),
    4001 set command (3 stop, 7 suspend, 8 restart, 9 reboot, 40 available, 41 unavailable),
    4002 command status, 4004 remote energy management setpoint 0…32 A (reads 99 while no charge
    is in progress), 4005/4006 degraded setpoints (mono/tri, A) applied when the lifebit is lost,
    4007 contactor charging time, 4009 session charging time (s), 4011 last stop cause,
    4012 session energy (Wh), 4020/4022 error bitfields, 4060…4069 commercial reference.
Assumptions where the copies are silent (see the map's notes): the lifebit timeout is fixed on the
station (30 s here, --timeout to change), the degraded setpoints are station settings read over
Modbus (6 A here), reads answer function 03 and 04 alike (evcc reads with 03, the device database
with 04).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from charger_engine import ExcCodes, Model, run, words_f32, words_text  # noqa: E402

RESERVED = [(2999, 224), (4000, 80)]          # 2999…3222, 4000…4079: unmapped registers read 0xFFFF
SINGLE = [(1, 1), (150, 1), (1150, 1), (1212, 3)]
COMMANDS = {3, 7, 8, 9, 40, 41}


def u32_low_first(value):
    value = int(value) & 0xFFFFFFFF
    return [value & 0xFFFF, value >> 16]


def u64_low_first(value):
    value = int(value) & 0xFFFFFFFFFFFFFFFF
    return [(value >> shift) & 0xFFFF for shift in (0, 16, 32, 48)]


class EVlinkProAC(Model):
    """Schneider Electric EVlink Pro AC (Modbus TCP, unit 255)."""
    NAME = "Schneider EVlink Pro AC"
    UNITS = (255,)
    MIN_A = 6
    MAX_A = 32
    WATCHDOG = "alive"
    DEFAULT_TIMEOUT_S = 30
    DEFAULT_SAFE_A = 6
    SWITCHABLE = False

    def __init__(self, args):
        super().__init__(args)
        self.setpoint = int(self.max_a)     # 4004 as last written
        self.command = 0                    # 4001
        self.lifebit_off = False            # 2 written to 4000: monitoring deactivated
        self.degraded_mono = self.DEFAULT_SAFE_A
        self.contactor_since = None

    def blocks(self):
        spans = SINGLE + RESERVED
        return {"hr": {255: spans}, "ir": {255: spans}}

    # --- status codes derived from the engine's state ------------------------------------
    def ocpp_status(self):
        if not self.plugged:
            return 1                        # Available
        if self.draw_a > 0:
            return 3                        # Charging
        if self.paused or self.allowed_a < self.MIN_A:
            return 5                        # SuspendedEVSE: the station offers no current
        return 4                            # SuspendedEV: offered, the car takes none

    def ev_state(self):
        if not self.plugged:
            return 6                        # available, ready to charge
        return 8 if self.draw_a > 0 else 3  # charging EV / EV connected, not charging

    def image(self, table, unit):
        now = time.monotonic()
        img = {}
        for start, count in RESERVED:
            for a in range(start, start + count):
                img[a] = 0xFFFF
        img[1] = self.ev_state()
        img[150] = self.ocpp_status()
        img[1150] = 1 if self.plugged else 0
        img[1212], img[1213], img[1214] = 1, 4, 2
        currents = [self.current(p) for p in range(3)]
        volts = [230.0, 230.0, 230.0]
        powers = [self.power_w(p) / 1000.0 for p in range(3)]
        floats = {
            2999: currents[0], 3001: currents[1], 3003: currents[2], 3009: sum(currents) / 3,
            3027: volts[0], 3029: volts[1], 3031: volts[2], 3035: sum(volts) / 3,
            3053: powers[0], 3055: powers[1], 3057: powers[2], 3059: sum(powers),
            3067: 0.0, 3075: sum(powers), 3083: 1.0 if self.draw_a > 0 else 0.0, 3109: 50.0,
        }
        for address, value in floats.items():
            img[address], img[address + 1] = words_f32(value, swap=True)
        for i, word in enumerate(u64_low_first(round(self.energy_wh))):
            img[3203 + i] = word
        for i, word in enumerate(u64_low_first(0)):
            img[3219 + i] = word
        if self.lifebit_off:
            img[4000] = 2
        else:
            img[4000] = 1 if self.last_feed is not None and now - self.last_feed < 1.0 else 0
        img[4001] = self.command
        img[4002], img[4003] = u32_low_first(0)
        img[4004] = self.setpoint if self.plugged else 99
        img[4005] = int(self.degraded_mono)
        img[4006] = int(self.safe_a)
        if self.draw_a > 0 and self.contactor_since is None:
            self.contactor_since = now
        elif self.draw_a == 0:
            self.contactor_since = None
        contactor_s = int(now - self.contactor_since) if self.contactor_since is not None else 0
        img[4007], img[4008] = u32_low_first(contactor_s)
        img[4009], img[4010] = u32_low_first(self.session_s)
        img[4011] = 0
        img[4012], img[4013] = u32_low_first(round(self.session_wh) if self.plugged else 0)
        img[4020], img[4021] = u32_low_first(0)
        img[4022], img[4023] = u32_low_first(0)
        for i, word in enumerate(words_text("EVB3S-EMU", 10)):
            img[4060 + i] = word
        return img

    def write(self, unit, address, values):
        return self.write_each(address, values)

    def write_one(self, address, value):
        if address == 4000:                         # lifebit
            if value == 1:
                self.lifebit_off = False
                self.feed()
            elif value == 2:
                self.lifebit_off = True
                self.set_timeout(10 ** 9)           # monitoring deactivated
            elif value != 0:
                return ExcCodes.ILLEGAL_VALUE
            return None
        if address == 4001:                         # set command
            if value not in COMMANDS:
                return ExcCodes.ILLEGAL_VALUE
            self.command = value
            if value in (3, 7):
                self.pause()
            elif value == 8:
                self.resume()
            return None
        if address == 4004:                         # remote energy management setpoint, A
            if not 0 <= value <= 32:
                return ExcCodes.ILLEGAL_VALUE
            self.setpoint = value
            if value < self.MIN_A:
                self.pause()
            else:
                self.allow(value)
                self.resume()
            return None
        return ExcCodes.ILLEGAL_ADDRESS             # every other register is read-only


if __name__ == "__main__":
    run(EVlinkProAC)
