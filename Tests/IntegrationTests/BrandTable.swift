/// The brands with a charger map, and what their vendors' documents say 10 A is (see each map's
/// `sources:`). The watchdog time is the one the bridge configures (or the charger is set to).
enum BrandTable {
    static let all: [Brand] = [
        // Bender CC612/CC613 (MENNEKES AMTRON Professional): 1000 in A; safe current 131, timeout 132
        Brand(map: "bender-cc613", module: "bender_cc613", unit: 255, setpointUnit: 255, setpointAddress: 1000, tenAmperes: [10]),
        // Phoenix Contact CHARX SEC-3xxx: 1301 in A, release 1300; safe current 1306, watchdog 1307
        Brand(map: "phoenix-charx", module: "phoenix_charx", unit: 1, setpointUnit: 1, setpointAddress: 1301, tenAmperes: [10]),
        // Schneider EVlink Pro AC: 4004 in A; life bit 4000; the charger's own timeout and 6 A fallback
        Brand(map: "schneider-evlink-pro-ac", module: "schneider_evlink_pro_ac", unit: 255, setpointUnit: 255, setpointAddress: 4004,
              tenAmperes: [10], fixedSafeCurrent: 6, fixedTimeout: 4),
        // Webasto NEXT: 5004 in A; life bit 6000; failsafe 2000 (6–32 A) after 2002 (6–120 s)
        Brand(map: "webasto-next", module: "webasto_next", unit: 255, setpointUnit: 255, setpointAddress: 5004, tenAmperes: [10],
              watchdogSeconds: 6),
        // MENNEKES AMTRON Compact 2.0s, RTU 57600 8N2 unit 50: 0x0302 as f32 A, release 0x0D05,
        // heartbeat 0x0D00 = 0x55AA; 10 s fixed on the charger, fallback set to pause
        Brand(map: "mennekes-amtron-compact", module: "mennekes_amtron_compact", unit: 50, setpointUnit: 50, setpointAddress: 770,
              tenAmperes: [16672, 0], fixedSafeCurrent: 0, fixedTimeout: 10, rtu: (57600, "N")),
        // Alfen NG9xx socket 1 (unit 1): 1210 as f32 A, renewed within the validity time set on the
        // charger; 1215 = 1 or 3 phases; falls back to the installer's safe current
        Brand(map: "alfen-ng9xx", module: "alfen_ng9xx", unit: 1, setpointUnit: 1, setpointAddress: 1210, tenAmperes: [16672, 0],
              fixedSafeCurrent: 6, fixedTimeout: 4, phaseSwitching: true),
        // KEBA KeContact P30 x-series: 5004 in mA, enable 5014; failsafe 5016 (mA) after 5018 (10–600 s); 5052 phases
        Brand(map: "keba-p30", module: "keba_p30", unit: 255, setpointUnit: 255, setpointAddress: 5004, tenAmperes: [10000],
              watchdogSeconds: 10, phaseSwitching: true),
    ]
}
