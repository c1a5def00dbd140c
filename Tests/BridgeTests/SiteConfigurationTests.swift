import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
@testable import SiteRuntime
import Testing

@Suite("Site configuration and grid readings")
struct SiteConfigurationTests {
    let base = """
        site: { grid_meter: grid, fuse_a: [25, 25, 20], headroom_a: 1, meter: excluding, fallback_a: 6 }
        meters:
          - { id: grid, map: pac2200, tcp: "127.0.0.1:1502", unit: 1, period_ms: 250 }
        inputs:
          - { id: ripple, role: load_shedding, file: /tmp/gpio17, debounce_ms: 300 }
          - { id: enable, role: enable, modbus: { tcp: "127.0.0.1:1503", function: discrete, address: 4 }, invert: true }
        chargers:
          - { id: a, mode: sun-only, modbus: { port: 1600 } }
        """

    func error(_ text: String) -> DataFileError? {
        do { _ = try Configuration.parse(text, file: "site.yaml"); return nil } catch { return error }
    }

    @Test func loadsTheSiteMetersInputsAndModes() throws {
        let config = try Configuration.parse(base, file: "site.yaml")
        #expect(config.site.fuse.limit == [25, 25, 20])
        #expect(config.site.fuse.meterLocation == .excluding && config.site.fuse.fallbackCurrent == 6)
        #expect(config.meters.first?.period == 0.25 && config.meters.first?.map.name == "Siemens SENTRON PAC2200")
        #expect(config.inputs.map(\.role) == [.loadShedding, .enable])
        #expect(config.inputs[0].debounce == 0.3 && config.inputs[1].invert)
        #expect(config.chargers[0].mode == .sunOnly)
    }

    @Test func inconsistentSitesAreRefused() throws {
        #expect(try #require(error(base.replacingOccurrences(of: "map: pac2200", with: "map: nope"))).message.contains("no register map"))
        #expect(try #require(error(base.replacingOccurrences(of: "grid_meter: grid", with: "grid_meter: other"))).field == "site.grid_meter")
        #expect(try #require(error(base.replacingOccurrences(of: "site: { grid_meter: grid, ", with: "site: { "))).message.contains("needs a grid meter"))
        #expect(try #require(error(base.replacingOccurrences(of: "file: /tmp/gpio17, ", with: ""))).message.contains("needs a source"))
        #expect(try #require(error(base.replacingOccurrences(of: "role: enable", with: "role: turbo"))).field == "inputs[1].role")
        #expect(try #require(error(base.replacingOccurrences(of: "mode: sun-only", with: "mode: sunny"))).message.contains("unknown mode"))
        #expect(try #require(error(base.replacingOccurrences(of: "fuse_a: [25, 25, 20]", with: "fuse_a: [25, 25]"))).field == "site.fuse_a")
        #expect(try #require(error(base.replacingOccurrences(of: "tcp: \"127.0.0.1:1502\", ", with: ""))).message.contains("exactly one of tcp"))
    }

    @Test func withoutASiteFuseEveryChargerNeedsAZone() throws {
        // nothing would limit a charger outside the zones (and an empty zone list had no root at all)
        let outside = "load_management: { zones: [ { id: a, limit_a: 32 } ] }\nchargers: [ { id: c, zone: a, modbus: { port: 1 } }, { id: d, modbus: { port: 2 } } ]"
        #expect(try #require(error(outside)).message.contains("every charger names its zone"))
        #expect(try #require(error("load_management: { policy: fifo }\nchargers: [ { id: c } ]")).message.contains("needs zones"))
        _ = try Configuration.parse(outside.replacingOccurrences(of: "{ id: d, modbus", with: "{ id: d, zone: a, modbus"), file: "site.yaml")
    }

    func reading(_ name: String, _ value: Double?) -> Reading {
        Reading(name: name, unit: "", value: value.map { .success(.number($0)) } ?? .failure(.notAvailable))
    }

    @Test func gridSamplesNeedEveryValueAndTakeTheSignFromPhasePower() {
        let full = [reading("current.l1", 10), reading("current.l2", 5), reading("current.l3", 2),
                    reading("power.l1", 2300), reading("power.l2", -1150), reading("power.l3", 460), reading("power.total", 1610)]
        let sample = GridReading.sample(full, time: 3)
        #expect(sample == GridSample(time: 3, currents: [10, -5, 2], power: 1610))
        #expect(GridReading.sample(full.filter { $0.name != "current.l2" }, time: 3) == nil)       // missing is never 0 A
        #expect(GridReading.sample(full.map { $0.name == "power.total" ? reading("power.total", nil) : $0 }, time: 3)?.power == 1610)
        #expect(GridReading.sample(full.map { $0.name == "current.l1" ? reading("current.l1", 1e9) : $0 }, time: 3) == nil)  // absurd
        // voltages, for kW limits: as read; one missing or not finite is 0 (counted at nominal), none at all nil
        let volts = [reading("voltage.l1", 231), reading("voltage.l3", .nan)]
        #expect(GridReading.sample(full + volts, time: 3)?.voltages == [231, 0, 0])
        #expect(GridReading.sample(full + [reading("voltage.l1", 231), reading("voltage.l2", 229), reading("voltage.l3", 240)], time: 3)?.voltages == [231, 229, 240])
    }
}
