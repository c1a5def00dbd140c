import Bridge
import RegisterMaps
import ServiceConfiguration
import Testing

/// What the status page takes from the configuration: each meter's role and the charts' sampling period.
@Suite("Status page settings")
struct StatusPageSettingsTests {
    static func configuration(http: String = "{ port: 8080 }", meters ids: [String] = []) throws -> Configuration {
        try Configuration.parse("""
            site: { grid_meter: grid, fuse_a: 25 }
            http: \(http)
            meters:
            \((["grid", "garage-meter"] + ids).enumerated().map { index, id in
                "  - { id: \(id), map: pac2200, tcp: \"127.0.0.1:\(1600 + index)\", unit: 1 }" }.joined(separator: "\n"))
            load_management:
              zones:
                - { id: garage, limit_a: 63, meter: garage-meter }
            chargers:
              - { id: a, zone: garage, modbus: { port: 1700 } }
            """, file: "site.yaml")
    }

    @Test func eachMeterHasARole() throws {
        let ids = ["pv", "PV2", "pv-roof", "solar", "solaredge", "battery", "bat", "bat-1", "bathroom", "pvc-pipe", "heatpump"]
        let config = try Self.configuration(meters: ids)
        let roles = (["grid", "garage-meter"] + ids).map { BridgeService.meterRole($0, in: config) }
        #expect(roles == ["grid", "zone", "pv", "pv", "pv", "pv", "pv", "battery", "battery", "battery", "shown", "shown", "shown"])
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
