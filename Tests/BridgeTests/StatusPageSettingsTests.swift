import Bridge
import RegisterMaps
import ServiceConfiguration
import Testing

/// What the status page takes from the configuration: each meter's role and the charts' sampling period.
@Suite("Status page settings")
struct StatusPageSettingsTests {
    static func configuration(http: String = "{ port: 8080 }", meters: [(id: String, role: String?)] = []) throws -> Configuration {
        try Configuration.parse("""
            site: { grid_meter: grid, fuse_a: 25 }
            http: \(http)
            meters:
            \(([("grid", nil), ("garage-meter", nil)] + meters).enumerated().map { index, meter in
                "  - { id: \(meter.id), map: pac2200, tcp: \"127.0.0.1:\(1600 + index)\", unit: 1\(meter.role.map { ", role: \($0)" } ?? "") }" }
                .joined(separator: "\n"))
            load_management:
              zones:
                - { id: garage, limit_a: 63, meter: garage-meter }
            chargers:
              - { id: a, zone: garage, modbus: { port: 1700 } }
            """, file: "site.yaml")
    }

    /// The role is the configured one: an id that looks like PV (`pv`, `solar`) is only shown without `role: pv`.
    @Test func eachMeterHasItsConfiguredRole() throws {
        let meters: [(id: String, role: String?)] = [("roof", "pv"), ("house-battery", "battery"), ("pv", nil), ("heatpump", nil)]
        let config = try Self.configuration(meters: meters)
        let roles = (["grid", "garage-meter"] + meters.map(\.id)).map { BridgeService.meterRole($0, in: config) }
        #expect(roles == ["grid", "zone", "pv", "battery", "shown", "shown"])
    }

    @Test func theSamplingPeriodIsValidated() throws {
        #expect(try Self.configuration().http?.historyPeriodSeconds == 10)
        #expect(try Self.configuration(http: "{ port: 8080, history_period_s: 1 }").http?.historyPeriodSeconds == 1)
        #expect(try Self.configuration(http: "{ port: 8080, history_period_s: 60 }").http?.historyPeriodSeconds == 60)
        for bad in ["0", "61", "-5", "2.5", "often"] {
            let error = #expect(throws: DataFileError.self) { try Self.configuration(http: "{ port: 8080, history_period_s: \(bad) }") }
            #expect(error?.field == "http.history_period_s", "\(bad): \(String(describing: error))")
        }
    }
}
