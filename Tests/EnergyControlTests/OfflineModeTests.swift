import Testing
@testable import EnergyControl

/// Offline modes per zone, the fixed disconnected limit, percentage headroom and the assumed-load
/// fallback [Circontrol Dynamic Load Management Premium manual, offline modes; Bender: 8 A
/// disconnected limit; Mennekes ECU manual fallback].
@Suite("Offline modes and margins")
struct OfflineModeTests {
    static func manager(mode: OfflineMode, current: Double? = nil, disconnected: Double? = nil) -> LoadManager {
        var zone = ZoneSettings(id: "z", limit: [40, 40, 40])
        zone.offlineMode = mode
        zone.offlineCurrent = current
        zone.disconnectedLimit = disconnected
        var settings = LoadSettings()
        settings.zones = [zone]
        return try! LoadManager(settings: settings, siteFuse: false)
    }

    static func charger(_ plug: Int, online: Bool = true, setpoint: Double? = nil) -> LoadChargerInput {
        LoadChargerInput(id: "cp\(plug)", plug: plug, zone: 0, minimum: 6, maximum: 32, online: online, currents: [0, 0, 0],
                         failsafeTimeout: 10, setpoint: setpoint, ceiling: 32)
    }

    static func step(_ manager: inout LoadManager, _ chargers: [LoadChargerInput], now: Seconds) -> [LoadChargerOutput] {
        manager.step(now: now, time: nil, chargers: chargers, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
    }

    @Test func theLowestOfDegradedOfflineCurrentAndDisconnectedLimitWins() {
        // degraded computation: 40 A ÷ (2 × 6 A) → 6 × 3.33 = 20 A
        var plain = Self.manager(mode: .allSessions)
        #expect(Self.step(&plain, [Self.charger(1), Self.charger(2)], now: 0).map(\.degraded) == [20, 20])
        var offline = Self.manager(mode: .allSessions, current: 10)
        #expect(Self.step(&offline, [Self.charger(1), Self.charger(2)], now: 0).map(\.degraded) == [10, 10])
        var bender = Self.manager(mode: .allSessions, current: 10, disconnected: 8)
        let out = Self.step(&bender, [Self.charger(1), Self.charger(2)], now: 0)
        #expect(out.map(\.degraded) == [8, 8] && out.allSatisfy(\.newSessionsOffline))
        var stop = Self.manager(mode: .stop, current: 10)
        #expect(Self.step(&stop, [Self.charger(1), Self.charger(2)], now: 0).map(\.degraded) == [0, 0])
        var active = Self.manager(mode: .activeSessions, current: 10)
        let second = Self.step(&active, [Self.charger(1), Self.charger(2)], now: 0)
        #expect(second.map(\.degraded) == [10, 10] && !second.contains(where: \.newSessionsOffline))
    }

    @Test func keepLastReservesTheLastSetpointForTheWholeOutage() {
        for (mode, reserved) in [(OfflineMode.keepLast, 24.0), (.allSessions, 10)] {
            var manager = Self.manager(mode: mode, current: 10)
            _ = Self.step(&manager, [Self.charger(1), Self.charger(2)], now: 0)
            // charger 2 lost contact at 24 A; long after its watchdog's timeout
            _ = Self.step(&manager, [Self.charger(1), Self.charger(2, online: false, setpoint: 24)], now: 1)
            let out = Self.step(&manager, [Self.charger(1), Self.charger(2, online: false, setpoint: 24)], now: 100)
            #expect(out[0].cap.amperes == 40 - reserved, "\(mode)")
        }
    }

    @Test func percentageHeadroomIsTakenWhenLarger() {
        var zone = ZoneSettings(id: "z", limit: [40, 40, 40])
        zone.headroom = [1, 1, 1]
        zone.headroomPercent = 10
        #expect(zone.effectiveHeadroom == [4, 4, 4])
        var settings = SiteSettings()
        settings.fuse.limit = [100, 100, 100]
        settings.fuse.headroomPercent = 5
        let sample = GridSample(time: 0, currents: [40, 40, 40], power: 0)
        #expect(PowerOptimizer.available(sample: sample, evCurrents: [0, 0, 0], settings: settings, inputs: SiteInputs(), now: 0)?.perPhase == [55, 55, 55])
    }

    @Test func theAssumedLoadStandsInForALostMeter() {
        var settings = SiteSettings()
        settings.fuse.limit = [100, 100, 100]
        settings.fuse.headroom = [2, 2, 2]
        settings.fuse.fallbackCurrent = 10
        #expect(PowerOptimizer.available(sample: nil, evCurrents: [0, 0, 0], settings: settings, inputs: SiteInputs(), now: 0)?.perPhase == [10, 10, 10])
        settings.fuse.assumedLoad = [40, 30, 20]
        let lost = PowerOptimizer.available(sample: nil, evCurrents: [0, 0, 0], settings: settings, inputs: SiteInputs(), now: 0)
        #expect(lost?.perPhase == [58, 68, 78] && lost?.reason == .meterLost)
    }
}

/// A charger's own fixed disconnected limit (`disconnected_limit_a` on the charger, Bender: 8 A).
@Suite("Per-charger disconnected limit")
struct DisconnectedLimitTests {
    @Test func aChargersOwnLimitCapsOnlyItsDegradedSetpoint() {
        var manager = OfflineModeTests.manager(mode: .allSessions)
        var own = OfflineModeTests.charger(2)
        own.disconnectedLimit = 8
        // 40 A ÷ (2 × 6 A): 20 A each by the degraded computation; the charger's own 8 A wins for it alone
        #expect(OfflineModeTests.step(&manager, [OfflineModeTests.charger(1), own], now: 0).map(\.degraded) == [20, 8])
        own.disconnectedLimit = 30   // a limit above the computed value never raises it
        #expect(OfflineModeTests.step(&manager, [OfflineModeTests.charger(1), own], now: 1).map(\.degraded) == [20, 20])
    }
}
