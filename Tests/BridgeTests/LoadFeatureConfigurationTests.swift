import ServiceConfiguration
import EnergyControl
import Foundation
import RegisterMaps
import Simulation
import SiteConfiguration
import Testing

/// The offline modes, percentage headroom and assumed-load fallback keys: read, and refused with
/// file, line and field when out of range.
@Suite("Load management feature keys")
struct LoadFeatureConfigurationTests {
    static let base = """
        duration_s: 60
        site: { fuse_a: 100, headroom_percent: 5, fallback_assumed_load_a: [40, 30, 20] }
        load_management:
          zones:
            - { id: z, limit_a: 32, headroom_percent: 10, offline_mode: 2, offline_current_a: 10, disconnected_limit_a: 8 }
        chargers:
          - { id: a, zone: z, max_current: 16 }
        """

    func error(_ text: String) -> DataFileError? {
        do { _ = try ScenarioLoader.parse(text, file: "s.yaml"); return nil } catch { return error }
    }

    @Test func theKeysAreRead() throws {
        let scenario = try ScenarioLoader.parse(Self.base, file: "s.yaml")
        #expect(scenario.settings.fuse.headroomPercent == 5 && scenario.settings.fuse.assumedLoad == [40, 30, 20])
        let zone = try #require(scenario.load?.zones.first)
        #expect(zone.headroomPercent == 10 && zone.offlineMode == .activeSessions && zone.offlineCurrent == 10 && zone.disconnectedLimit == 8)
    }

    @Test func badValuesAreRefusedWithFileLineAndField() throws {
        let percent = try #require(error(Self.base.replacingOccurrences(of: "headroom_percent: 10", with: "headroom_percent: 60")))
        #expect(percent.file == "s.yaml" && percent.line == 5 && percent.field == "load_management.zones[0].headroom_percent")
        #expect(try #require(error(Self.base.replacingOccurrences(of: "headroom_percent: 5", with: "headroom_percent: -1"))).field == "site.headroom_percent")
        let zoneLimit = try #require(error(Self.base.replacingOccurrences(of: "offline_current_a: 10", with: "offline_current_a: 40")))
        #expect(zoneLimit.field == "load_management.zones[0].offline_current_a" && zoneLimit.message.contains("limit_a"))
        let chargerMax = try #require(error(Self.base.replacingOccurrences(of: "offline_current_a: 10", with: "offline_current_a: 20")))
        #expect(chargerMax.field == "chargers[0].zone" && chargerMax.line == 7 && chargerMax.message.contains("max_current"))
        #expect(try #require(error(Self.base.replacingOccurrences(of: "offline_mode: 2", with: "offline_mode: 4"))).field == "load_management.zones[0].offline_mode")
        #expect(try #require(error(Self.base.replacingOccurrences(of: "offline_mode: 2", with: "offline_mode: 0"))).message.contains("offline_mode 2 or 3"))
        #expect(try #require(error(Self.base.replacingOccurrences(of: "disconnected_limit_a: 8", with: "disconnected_limit_a: 33"))).message.contains("limit_a"))
        #expect(try #require(error(Self.base.replacingOccurrences(of: "[40, 30, 20]", with: "[40, 300, 20]"))).message.contains("above fuse_a"))
        #expect(try #require(error(Self.base.replacingOccurrences(of: "fuse_a: 100,", with: "fuse_a: 100, fallback_a: 5,"))).message.contains("not both"))
    }
}

/// The same keys in the service configuration: checked against each charger there too.
@Suite("Load management feature keys in the service configuration")
struct ServiceLoadFeatureConfigurationTests {
    static let base = """
        load_management:
          zones:
            - { id: z, limit_a: 32, offline_mode: 2, offline_current_a: 10 }
        chargers:
          - { id: a, zone: z, max_current: 16, disconnected_limit_a: 8, modbus: { port: 1502 } }
        """

    func error(_ text: String) -> DataFileError? {
        do { _ = try Configuration.parse(text, file: "c.yaml"); return nil } catch { return error }
    }

    @Test func offlineCurrentsAndDisconnectedLimitsAreCheckedPerCharger() throws {
        let configuration = try Configuration.parse(Self.base, file: "c.yaml")
        #expect(configuration.chargers[0].placement.disconnectedLimit == 8)
        let zone = try #require(error(Self.base.replacingOccurrences(of: "offline_current_a: 10", with: "offline_current_a: 20")))
        #expect(zone.field == "chargers[0].zone" && zone.message.contains("max_current"))
        let own = try #require(error(Self.base.replacingOccurrences(of: "disconnected_limit_a: 8", with: "disconnected_limit_a: 20")))
        #expect(own.field == "chargers[0].disconnected_limit_a" && own.line == 5 && own.message.contains("max_current"))
    }

    @Test func anUnknownTimeZoneIsRefused() throws {
        let zone = try #require(error("site: { time_zone: Mars/Olympus }\n" + Self.base))
        #expect(zone.field == "site.time_zone" && zone.message.contains("IANA"))
        #expect(try Configuration.parse("site: { time_zone: Europe/Brussels }\n" + Self.base, file: "c.yaml").timeZone.identifier == "Europe/Brussels")
    }
}
