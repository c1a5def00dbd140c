import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    let valid = """
        site: { name: Test }
        modbus: { mode: per-charger, bind: 127.0.0.1 }
        chargers:
          - id: a
            min_current: 6
            max_current: 16
            failsafe_current: 8
            failsafe_timeout_s: 10
            modbus: { port: 1502 }
          - id: b
            phases: 3
            phase_switching: true
            modbus: { port: 1503 }
        """

    func error(_ text: String) -> DataFileError? {
        do { _ = try Configuration.parse(text, file: "site.yaml"); return nil } catch { return error }
    }

    @Test func loadsAValidConfiguration() throws {
        let config = try Configuration.parse(valid, file: "site.yaml")
        #expect(config.chargers.map(\.id) == ["a", "b"])
        #expect(config.chargers[0].failsafeCurrent == 8 && config.chargers[0].failsafeTimeout == 10)
        #expect(config.chargers[1].failsafeCurrent == 6)     // default: the minimum current
        #expect(config.chargers[1].limits.canSwitchPhases)
    }

    /// ZE Ready: `min_current: { one_phase: 8, three_phase: 13 }`; the failsafe current meets the higher one.
    @Test func minimumsByPhases() throws {
        let yaml = "chargers:\n  - { id: ze, phases: 3, phase_switching: true, min_current: { one_phase: 8, three_phase: 13 }, modbus: { port: 1502 } }"
        let charger = try Configuration.parse(yaml, file: "site.yaml").chargers[0]
        #expect(charger.limits.minimum(phases: 1) == 8 && charger.limits.minimum(phases: 3) == 13)
        #expect(charger.failsafeCurrent == 13)
        func message(_ text: String) -> String { error(text).map { "\($0)" } ?? "accepted" }
        #expect(message(yaml.replacingOccurrences(of: "phase_switching: true,", with: "failsafe_current: 10,"))
            .contains("must be 0 (stop) or 13…32 A"))
        #expect(message(yaml.replacingOccurrences(of: "phases: 3, phase_switching: true", with: "phases: 1"))
            .contains("three_phase is for a charger wired with three phases"))
        #expect(message(yaml.replacingOccurrences(of: "one_phase: 8, ", with: "")).contains("one_phase"))
        #expect(message(yaml.replacingOccurrences(of: "three_phase: 13", with: "three_phase: 13, two_phase: 10")).contains("two_phase"))
        #expect(message(yaml.replacingOccurrences(of: "modbus:", with: "max_current: 10, modbus:")).contains("min_current 13 A is above max_current 10 A"))
    }

    /// Limits in kW beside the ampere limits (Circontrol DLM §5.2.1): kept as power, the stricter per
    /// phase wins at the measured voltages (at 253 V without a reading); the §14a settings are read and checked.
    @Test func powerLimitsInKilowatts() throws {
        let site = """
            site: { grid_meter: grid, fuse_a: 63, contracted_power_kw: 36, utility: { dimmed_kw: 4.2, controllable_devices: 3 } }
            meters: [ { id: grid, map: pac2200, tcp: "127.0.0.1:1502" } ]
            load_management:
              zones: [ { id: garage, limit_kw: 22 }, { id: carport, limit_a: 16, limit_kw: 22 } ]
            chargers: [ { id: a, zone: garage, modbus: { port: 1503 } } ]
            """
        let config = try Configuration.parse(site, file: "site.yaml")
        let core = config.coreSettings(ownFailsafeTimeouts: [nil], recordSessions: false, checkpointSeconds: 5)
        #expect(core.site.fuse.limit == [47.4, 47.4, 47.4])            // without a reading: 36 kW / (3 × 253 V), stricter than 63 A
        #expect(core.site.fuse.powerLimitW == 36_000 && core.site.fuse.currentLimit == [63, 63, 63])
        #expect(core.site.fuse.limit(voltages: [230, 230, 230]) == [52.1, 52.1, 52.1])
        #expect(core.site.utility.dimmedPowerW == 4200 && core.site.utility.controllableDevices == 3)
        #expect(config.load?.zones.map(\.limit) == [[28.9, 28.9, 28.9], [16, 16, 16]])
        #expect(config.load?.zones.map { $0.limit(voltages: [230, 230, 230]) } == [[31.8, 31.8, 31.8], [16, 16, 16]])
        func message(_ text: String) -> String { error(text).map { "\($0)" } ?? "accepted" }
        #expect(message(site.replacingOccurrences(of: "{ id: garage, limit_kw: 22 }", with: "{ id: garage }")).contains("a zone needs limit_a or limit_kw"))
        #expect(message(site.replacingOccurrences(of: "controllable_devices: 3", with: "simultaneity_factor: 1.5")).contains("simultaneity_factor"))
        #expect(message(site.replacingOccurrences(of: "contracted_power_kw: 36", with: "contracted_power_kw: -1")).contains("contracted_power_kw"))
        // G100: the import limit is held like a contracted power, and watched with the export limit
        let g100 = try Configuration.parse(site.replacingOccurrences(of: "contracted_power_kw: 36", with: "g100: { import_limit_kw: 30, export_limit_kw: 5 }"),
                                           file: "site.yaml")
        #expect(g100.site.fuse.limit == [39.5, 39.5, 39.5] && g100.site.connection?.exportLimitW == 5000)
        #expect(g100.site.fuse.powerLimitW == 30_000 && g100.site.fuse.limit(voltages: [240, 240, 240]) == [41.6, 41.6, 41.6])
        #expect(message(site.replacingOccurrences(of: "contracted_power_kw: 36", with: "g100: {}")).contains("g100 needs import_limit_kw"))
    }

    /// `random_delay: { max_s }` (UK smart charging, 600 s by default); with off-peak its own delay applies.
    @Test func aRandomDelayAtEverySessionStart() throws {
        let yaml = "load_management: { zones: [ { id: z, limit_a: 32 } ], random_delay: {} }\nchargers: [ { id: a, zone: z, modbus: { port: 1502 } } ]"
        #expect(try Configuration.parse(yaml, file: "site.yaml").load?.sessionRandomDelayMax == 600)
        #expect(try Configuration.parse(yaml.replacingOccurrences(of: "random_delay: {}", with: "random_delay: { max_s: 1800 }"), file: "site.yaml")
            .load?.sessionRandomDelayMax == 1800)
        #expect(error(yaml.replacingOccurrences(of: "random_delay: {}", with: "random_delay: { max_s: 1801 }")) != nil)
        #expect(error(yaml.replacingOccurrences(of: "random_delay: {}", with: "random_delay: {}, off_peak: {}")).map { "\($0)" }?
            .contains("with off_peak its random_delay_max_s applies") == true)
    }

    /// `average_s` on the grid meter or a zone's meter slows that loop's increases; elsewhere it is refused.
    @Test func meterAveragingGoesToTheLoopTheMeterFeeds() throws {
        let site = """
            site: { grid_meter: grid, fuse_a: 32 }
            meters:
              - { id: grid, map: pac2200, tcp: "127.0.0.1:1502", average_s: 10 }
              - { id: sub, map: pac2200, tcp: "127.0.0.1:1503", average_s: 30 }
            load_management: { zones: [ { id: garage, limit_a: 40, meter: sub } ] }
            chargers: [ { id: a, zone: garage, modbus: { port: 1504 } } ]
            """
        let config = try Configuration.parse(site, file: "site.yaml")
        #expect(config.site.fuse.meterAverage == 10 && config.load?.zones[0].meterAverage == 30)
        let shown = site.replacingOccurrences(of: "meter: sub", with: "meter_includes_chargers: true")
        #expect(error(shown).map { "\($0)" }?.contains("average_s is for the grid meter or a zone's meter") == true)
        #expect(error(site.replacingOccurrences(of: "average_s: 10", with: "average_s: 301")) != nil)
    }

    /// Like the Modbus faces, the central system is reachable from the network only when configured.
    @Test func theOCPPCentralSystemListensOnLoopbackByDefault() throws {
        let ocpp = valid + "\n  - { id: c, driver: ocpp, ocpp: { password: secret-123 }, modbus: { port: 1504 } }"
        #expect(try Configuration.parse("ocpp: { port: 9100 }\n" + ocpp, file: "site.yaml").ocpp?.bind == "127.0.0.1")
        #expect(try Configuration.parse("ocpp: { bind: 0.0.0.0 }\n" + ocpp, file: "site.yaml").ocpp?.bind == "0.0.0.0")
    }

    /// An OCPP charger may speak 1.6, 2.0.1 or either (auto, the default); anything else names the choices.
    @Test func anOCPPChargersVersionIsOneOfThree() throws {
        func charger(_ version: String?) -> String {
            valid + "\n  - { id: c, driver: ocpp, ocpp: { password: secret-123\(version.map { ", version: \($0)" } ?? "") }, modbus: { port: 1504 } }"
        }
        #expect(try Configuration.parse("ocpp: {}\n" + charger(nil), file: "site.yaml").chargers.last?.ocpp?.version == "auto")
        #expect(try Configuration.parse("ocpp: {}\n" + charger("\"2.0.1\""), file: "site.yaml").chargers.last?.ocpp?.version == "2.0.1")
        #expect(try Configuration.parse("ocpp: {}\n" + charger("\"1.6\""), file: "site.yaml").chargers.last?.ocpp?.version == "1.6")
        #expect(error("ocpp: {}\n" + charger("\"2.0\"")).map { "\($0)" }?.contains("\"1.6\", \"2.0.1\" or auto") == true)
    }

    /// `driver: modbus` runs any charger map; `driver: vestel` is its alias with the Vestel map.
    @Test func theGenericDriverTakesAChargerMap() throws {
        let modbus = valid.replacingOccurrences(of: "  - id: a\n", with: "  - id: a\n    driver: modbus\n    southbound: { map: vestel-evc04, tcp: \"10.0.0.5:502\", unit: 3 }\n")
        let charger = try Configuration.parse(modbus, file: "site.yaml").chargers[0]
        let southbound = try #require(charger.southbound)
        #expect(southbound.map.charger?.setpoint.quantity == "ems.charging_current")
        #expect(southbound.unit == 3)
        let alias = valid.replacingOccurrences(of: "  - id: a\n", with: "  - id: a\n    driver: vestel\n    southbound: { tcp: \"10.0.0.5:502\" }\n")
        let vestel = try #require(try Configuration.parse(alias, file: "site.yaml").chargers[0].southbound)
        #expect(vestel.map == southbound.map && vestel.unit == 255)
        // driver: modbus names its map; a meter map cannot drive a charger
        let noMap = try #require(error(modbus.replacingOccurrences(of: "map: vestel-evc04, ", with: "")))
        #expect(noMap.field == "chargers[0].southbound.map" && noMap.message.contains("missing"))
        let meter = try #require(error(modbus.replacingOccurrences(of: "map: vestel-evc04", with: "map: pac2200")))
        #expect(meter.field == "chargers[0].southbound.map" && meter.message.contains("no charger: section"))
    }

    @Test func anUnsafeFailsafeCurrentRefusesToStart() throws {
        let e = try #require(error(valid.replacingOccurrences(of: "failsafe_current: 8", with: "failsafe_current: 20")))
        #expect(e.description == "site.yaml:7: chargers[0].failsafe_current: unsafe: failsafe current 20 A is above the charger's maximum 16 A")
        let belowMin = try #require(error(valid.replacingOccurrences(of: "failsafe_current: 8", with: "failsafe_current: 3")))
        #expect(belowMin.field == "chargers[0].failsafe_current")
    }

    @Test func errorsNameFileLineAndField() throws {
        let duplicate = try #require(error(valid.replacingOccurrences(of: "port: 1503", with: "port: 1502")))
        #expect(duplicate.message.contains("port 1502 on 127.0.0.1 is used by another charger"))
        let typo = try #require(error(valid.replacingOccurrences(of: "max_current: 16", with: "max_curent: 16")))
        #expect(typo.field == "chargers[0].max_curent" && typo.line == 6)
        let range = try #require(error(valid.replacingOccurrences(of: "failsafe_timeout_s: 10", with: "failsafe_timeout_s: 0")))
        #expect(range.field == "chargers[0].failsafe_timeout_s" && range.message.contains("1…3600"))
        // without a port a charger listens on 502 (like a real EVC08); two such chargers collide
        let defaults = try #require(error(valid.replacingOccurrences(of: "modbus: { port: 1503 }", with: "modbus: { }")
            .replacingOccurrences(of: "modbus: { port: 1502 }", with: "modbus: { }")))
        #expect(defaults.message.contains("port 502 on 127.0.0.1 is used by another charger"))
        let separate = try Configuration.parse(valid.replacingOccurrences(of: "modbus: { port: 1503 }", with: "modbus: { bind: 127.0.0.2, port: 1502 }"), file: "x.yaml")
        #expect(separate.chargers[1].bind == "127.0.0.2")
        // a wildcard listener takes the port on every address: check-config says so, as run would
        let wildcard = try #require(error(valid.replacingOccurrences(of: "modbus: { port: 1503 }", with: "modbus: { bind: 0.0.0.0, port: 1502, allow_write: any }")))
        #expect(wildcard.message.contains("port 1502 on 0.0.0.0 is used by another charger on 127.0.0.1"))
        let switching = try #require(error(valid.replacingOccurrences(of: "phases: 3", with: "phases: 1")))
        #expect(switching.field == "chargers[1].phase_switching")
        let driver = try #require(error(valid.replacingOccurrences(of: "  - id: b\n", with: "  - id: b\n    driver: tesla\n")))
        #expect(driver.message.contains("unknown driver"))
        #expect(error("chargers: []\n") != nil)
    }

    /// Only a P1 meter said to be DSMR 2.2 or 3 may send telegrams without a CRC.
    @Test func theDSMRVersionSaysWhetherACRCIsNeeded() throws {
        func port(_ p1: String) throws -> SmartMeterPort? {
            try Configuration.parse("meters:\n  - { id: home, \(p1) }\n" + valid, file: "site.yaml").meters.first?.port
        }
        #expect(try port("p1: /dev/ttyUSB0") == .p1(legacy: false))
        #expect(try port("p1: { device: /dev/ttyUSB0 }") == .p1(legacy: false))
        for version in ["\"5\"", "\"4\"", "e-mucs"] { #expect(try port("p1: { device: /dev/ttyUSB0, dsmr: \(version) }") == .p1(legacy: false)) }
        for version in ["\"2.2\"", "2.2", "\"3\"", "3"] { #expect(try port("p1: { device: /dev/ttyUSB0, dsmr: \(version) }") == .p1(legacy: true)) }
        let wrong = try #require(error("meters:\n  - { id: home, p1: { device: /dev/ttyUSB0, dsmr: \"6\" } }\n" + valid))
        #expect(wrong.line == 2 && wrong.message.contains("dsmr: 2.2, 3, 4, 5 or e-mucs"), "\(wrong)")
    }

    /// `ems: none` makes running at the failsafe current the site's local state; check-config says
    /// what each charger really gets without an energy manager and if the bridge stops, and why.
    @Test func standaloneSitesAndTheFailsafeExplanation() throws {
        #expect(try Configuration.parse(valid, file: "site.yaml").emsExpected)
        let standalone = try Configuration.parse("ems: none\n" + valid, file: "site.yaml")
        #expect(!standalone.emsExpected)
        #expect(error("ems: maybe\n" + valid)?.field == "ems")
        let a = FailsafeExplanation.lines(standalone.chargers[0], emsExpected: false)
        #expect(a[0].hasPrefix("no energy manager (ems: none): 8 A (failsafe_current 8 A)"), "\(a)")
        #expect(a[1] == "if the bridge stops: a simulated charger stops with it")
        let vestel = valid.replacingOccurrences(of: "  - id: a\n", with: "  - id: a\n    driver: vestel\n    southbound: { tcp: \"10.0.0.5:502\", failsafe_timeout_s: 30 }\n")
        let driven = try Configuration.parse(vestel, file: "site.yaml")
        let lines = FailsafeExplanation.lines(driven.chargers[0], emsExpected: true)
        #expect(lines[0].hasPrefix("without an energy manager (none yet, or one silent for 10 s): 8 A"), "\(lines)")
        #expect(lines[1] == "if the bridge stops: 8 A after 30 s (written to the charger's own watchdog)", "\(lines)")
        let stop = try Configuration.parse(valid.replacingOccurrences(of: "failsafe_current: 8", with: "failsafe_current: 0"), file: "site.yaml")
        #expect(FailsafeExplanation.lines(stop.chargers[0], emsExpected: true)[0].contains("0 A (failsafe_current 0 A: charging stops)"))
    }

    @Test func gatewayModeNeedsUniqueUnits() throws {
        let gateway = """
            modbus: { mode: gateway, port: 1502 }
            chargers:
              - { id: a, modbus: { unit: 1 } }
              - { id: b, modbus: { unit: 1 } }
            """
        #expect(try #require(error(gateway)).message.contains("unit 1 is used by another charger"))
    }

    @Test func shippedConfigurationsLoad() throws {
        for file in ["etc/demo.yaml", "etc/chargebridge.yaml"] {
            let config = try Configuration.load(file: TestPaths.root.appendingPathComponent(file).path)
            #expect(!config.chargers.isEmpty)
        }
    }

    /// `standby:` needs the broker, a role, a name that can be a topic level, a lease of 3–60 s.
    @Test func standbyPairs() throws {
        let mqtt = "mqtt: { host: 127.0.0.1 }\n"
        let config = try Configuration.parse(mqtt + "standby: { role: backup, instance: site-b, lease_s: 10 }\n" + valid, file: "site.yaml")
        #expect(config.standby == StandbySettings(role: .backup, instance: "site-b", leaseSeconds: 10))
        let defaults = try Configuration.parse(mqtt + "standby: { role: main }\n" + valid, file: "site.yaml")
        #expect(defaults.standby?.leaseSeconds == 6 && defaults.standby?.instance.hasSuffix("-main") == true)
        #expect(error("standby: { role: main }\n" + valid)?.description.contains("needs the site's MQTT broker") == true)
        #expect(error(mqtt + "standby: { role: master }\n" + valid)?.description.contains("main or backup") == true)
        #expect(error(mqtt + "standby: { role: main, lease_s: 1 }\n" + valid) != nil)
        #expect(error(mqtt + "standby: { role: main, instance: \"a/b\" }\n" + valid)?.description.contains("topic level") == true)
        #expect(error(mqtt + "standby: { role: main, leader: x }\n" + valid) != nil, "unknown keys are refused")
    }
}
