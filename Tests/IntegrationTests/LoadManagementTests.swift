import Foundation
import Testing

/// Load management wired end to end: a dynamic zone measured by a pymodbus PAC2200, a static
/// zone, three simulated chargers; the shares are read back from the service's status output.
@Suite("Load management in the service")
struct LoadManagementTests {
    @Test func aDynamicZoneSharesWhatItsOtherLoadsLeave() throws {
        // the zone meter sees 40 A of other loads per phase: 63 − 40 = 23 A for the garage's two EVs
        let meterPort = try TestEnvironment.freePort()
        let meter = try MeterPeer.start(map: try MeterPeer.map("pac2200"), unit: 1, values: [
            PeerValue(name: "current.l1", raw: 40, expected: 40), PeerValue(name: "current.l2", raw: 40, expected: 40),
            PeerValue(name: "current.l3", raw: 40, expected: 40), PeerValue(name: "power.l1", raw: 9200, expected: 9200),
            PeerValue(name: "power.l2", raw: 9200, expected: 9200), PeerValue(name: "power.l3", raw: 9200, expected: 9200),
            PeerValue(name: "power.total", raw: 27600, expected: 27600),
        ], transport: ["--tcp", "\(meterPort)"])
        defer { meter.stop() }
        let ports = try (0..<3).map { _ in try TestEnvironment.freePort() }
        let ev = "simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 32, capacity_kwh: 500, soc: 0.1 } ] }"
        let config = """
            modbus: { bind: 127.0.0.1 }
            meters: [ { id: garage-meter, map: pac2200, tcp: "127.0.0.1:\(meterPort)", unit: 1, period_ms: 300, timeout_ms: 300 } ]
            load_management:
              policy: equal-share
              zones:
                - { id: garage, limit_a: 63, meter: garage-meter, meter_includes_chargers: false }
                - { id: outdoor, limit_a: 16 }
            chargers:
              - { id: g1, zone: garage, rotation: RST, failsafe_current: 32, modbus: { port: \(ports[0]) }, \(ev) }
              - { id: g2, zone: garage, rotation: STR, failsafe_current: 32, modbus: { port: \(ports[1]) }, \(ev) }
              - { id: o1, zone: outdoor, failsafe_current: 16, modbus: { port: \(ports[2]) }, \(ev) }
            """
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("zones.yaml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--status-interval", "1"])
        defer { bridge.stop() }
        try bridge.waitFor("zones: garage 22/23 A state 2 dynamic", timeout: .seconds(30))
        try bridge.waitFor("setpoint 11 A (zone)")
        let lines = bridge.text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("g1") && $0.contains("setpoint 11 A (zone)") })
        #expect(lines.contains { $0.hasPrefix("g2") && $0.contains("setpoint 11 A (zone)") })
        #expect(lines.contains { $0.hasPrefix("o1") && $0.contains("setpoint 16 A") })
        #expect(lines.contains { $0.contains("outdoor 16/16 A state") && $0.contains("static") })
    }

    @Test func badZoneConfigurationsAreRefusedWithFileLineAndField() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let cases: [(String, String)] = [
            ("load_management: { zones: [ { id: a, limit_a: 32 }, { id: b, parent: a, limit_a: 40 } ] }\nchargers: [ { id: c, zone: b } ]",
             "limit on L1 is above its parent's"),
            ("load_management: { zones: [ { id: a, limit_a: 32, meter: nowhere } ] }\nchargers: [ { id: c, zone: a } ]",
             "no meter with id \"nowhere\""),
            ("load_management: { zones: [ { id: a, limit_a: 32 } ] }\nchargers: [ { id: c, zone: b } ]", "no zone \"b\""),
            ("load_management: { zones: [ { id: a, limit_a: 32 } ] }\nchargers: [ { id: c, zone: a, rotation: XYZ } ]", "RST, STR, TRS"),
            ("load_management: { time_of_use: [ { period: p, percent: 120, slots: [ { days: mon, time: \"08:00-09:00\" } ] } ] }\nchargers: [ { id: c } ]",
             "percent: must be 0.0…100.0"),
            ("load_management: { off_peak: { windows: [] } }\nchargers: [ { id: c } ]", "at least one window"),
            ("load_management: { off_peak: { windows: [\"08:00-08:00\"] } }\nchargers: [ { id: c } ]", "different from the end"),
            ("load_management: { time_of_use: [ { period: p, percent: 50, slots: [ { days: mon-, time: \"08:00-09:00\" } ] } ] }\nchargers: [ { id: c } ]",
             "days like mon-fri"),
            ("load_management: { zones: [ { id: a, limit_a: 32, disabled_periods: [2] } ] }\nchargers: [ { id: c, zone: a } ]",
             "disabled_periods names a period"),
            ("site: { grid_meter: g, fuse_a: 25, headroom_a: 2, fallback_a: 30 }\nmeters: [ { id: g, map: pac2200, tcp: \"127.0.0.1:1\" } ]\nchargers: [ { id: c } ]",
             "above what the fuse leaves"),
            ("meters: [ { id: m, map: pac2200, tcp: \"127.0.0.1:1\" }, { id: m, map: pac2200, tcp: \"127.0.0.1:2\" } ]\nchargers: [ { id: c } ]",
             "id \"m\" is used twice"),
        ]
        for (index, (yaml, message)) in cases.enumerated() {
            let file = folder.appendingPathComponent("bad\(index).yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let result = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path, "--while-running"])
            #expect(result.status != 0, "\(yaml)")
            #expect(result.stderr.contains(message) && result.stderr.contains("bad\(index).yaml"), "\(result.stderr)")
        }
    }
}
