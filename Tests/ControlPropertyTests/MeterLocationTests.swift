import SimulatedDevices
import Foundation
import Testing
import EnergyControl
import SiteConfiguration
@testable import Simulation

/// Mennekes ECU manual §7.4.1: a 100 A supply with 40 A of other loads leaves the EVs 60 A, whether
/// the meter sits at the supply (it sees the EVs) or on the other loads only.
@Suite("Meter location")
struct MeterLocationTests {
    static func car() -> SiteScenario.Charger {
        .init(id: "a", limits: ChargerLimits(maxCurrent: 80), mode: .maxHybrid, evs: [SimulatedEV(arrival: 0, maxCurrent: 80, capacityWh: 200_000)])
    }

    static func lastSetpoint(_ scenario: SiteScenario) throws -> Int? {
        var simulator = try SiteSimulator(scenario: scenario)
        var last: SiteSimulator.Tick?
        let summary = simulator.run { last = $0 }
        #expect(summary.longestAboveFuse <= scenario.meterPeriod + 1e-9)
        return last?.setpoints.first
    }

    @Test(arguments: [MeterLocation.including, .excluding]) func gridMeterEitherWayLeavesTheEVs60A(location: MeterLocation) throws {
        var scenario = SiteScenario()
        scenario.duration = 300
        scenario.settings.fuse.limit = [100, 100, 100]
        scenario.settings.fuse.meterLocation = location
        scenario.house.baseWatts = [40 * 230, 40 * 230, 40 * 230]
        scenario.chargers = [Self.car()]
        #expect(try Self.lastSetpoint(scenario) == 60)
    }

    @Test(arguments: [true, false]) func zoneMeterEitherWayLeavesTheEVs60A(includesChargers: Bool) throws {
        var scenario = SiteScenario()
        scenario.duration = 300
        scenario.house.baseWatts = [0, 0, 0]
        var zone = ZoneSettings(id: "z", limit: [100, 100, 100])
        zone.dynamic = true
        zone.meterIncludesChargers = includesChargers
        var load = LoadSettings()
        load.zones = [zone]
        scenario.load = load
        scenario.zoneLoads = [0: SiteScenario.ZoneLoads(base: [40, 40, 40])]
        var charger = Self.car()
        charger.placement.zone = 0
        scenario.chargers = [charger]
        var simulator = try SiteSimulator(scenario: scenario)
        var last: SiteSimulator.Tick?
        let summary = simulator.run { last = $0 }
        #expect(last?.setpoints.first == 60)
        #expect((summary.longestAboveZoneLimit["z"] ?? 0) <= scenario.meterPeriod + 1e-9)
    }
}
