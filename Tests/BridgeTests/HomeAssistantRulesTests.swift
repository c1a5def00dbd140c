import Foundation
@testable import NorthboundMQTT
import Testing
@testable import ServiceConfiguration

/// Every discovery payload the bridge publishes for a site with every kind of entity follows Home
/// Assistant's rules: numeric sensors have a state class, counters that reset are
/// total_increasing, enums have their options, an empty value reads as unknown, a charger's and a
/// meter's entities follow its own `online` (but `online` itself can show OFF), controls exist
/// only where the command works, and number ranges are what the bridge accepts.
struct HomeAssistantRulesTests {
    static let site = """
        site: { grid_meter: grid, fuse_a: 32 }
        mqtt: { host: 127.0.0.1, port: 1883 }
        meters:
          - { id: grid, map: pac2200, tcp: "127.0.0.1:1502" }
        inputs:
          - { id: ripple, role: load_shedding, mqtt: true }
          - { id: gpio, role: enable, file: /sys/class/gpio/gpio17/value }
        load_management:
          zones: [ { id: garage, limit_a: 40 } ]
        chargers:
          - { id: switcher, max_current: 16, min_current: 6, phase_switching: true, modbus: { port: 1502 }, zone: garage }
          - { id: plain, max_current: 32, min_current: 6, modbus: { port: 1503 }, zone: garage }
        """

    /// The discovery payload of every entity of the site, by its object id.
    static func payloads() throws -> [String: [String: Any]] {
        try payloads(of: site)
    }

    static func payloads(of site: String) throws -> [String: [String: Any]] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cb-ha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("site.yaml")
        try site.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try Configuration.load(file: file.path)
        let (contract, discovery) = try MQTTNorthbound.mappings(configuration, try #require(configuration.mqtt))
        let builder = try #require(discovery)
        #expect(builder.noValueIsUnknown == "{{ None if value in ('', 'None') else value }}")
        var result: [String: [String: Any]] = [:]
        for entity in MQTTNorthbound.entities(configuration, contract: contract) {
            let message = try #require(builder.message(for: entity.discovery))
            result[String(message.topic.split(separator: "/").dropLast().last!)] = try #require(
                try JSONSerialization.jsonObject(with: Data(message.payload.utf8)) as? [String: Any])
        }
        return result
    }

    static func components(_ payload: [String: Any]?) -> [String: [String: Any]] {
        (payload?["cmps"] as? [String: [String: Any]]) ?? [:]
    }

    @Test func everyPayloadFollowsTheRules() throws {
        let all = try Self.payloads()
        #expect(Set(all.keys) == ["chargebridge_site_site", "chargebridge_charger_switcher", "chargebridge_charger_plain",
                                  "chargebridge_meter_grid", "chargebridge_zone_garage", "chargebridge_input_ripple", "chargebridge_input_gpio"])
        for (object, payload) in all {
            for (id, component) in Self.components(payload) {
                let platform = component["p"] as? String ?? "?"
                if platform == "sensor", component["unit_of_measurement"] != nil {
                    #expect(component["state_class"] != nil, "\(id): a numeric sensor without state_class keeps no statistics")
                }
                if component["device_class"] as? String == "energy" {
                    #expect(component["state_class"] as? String == "total_increasing", "\(id): an energy counter that resets")
                }
                if component["device_class"] as? String == "enum" {
                    #expect((component["options"] as? [String])?.isEmpty == false, "\(id): an enum without options")
                }
                if platform == "sensor" || platform == "binary_sensor" {
                    #expect(component["value_template"] as? String == "{{ None if value in ('', 'None') else value }}", "\(id): no value must read as unknown")
                }
                if ["select", "number", "switch"].contains(platform) { #expect(component["command_topic"] != nil, "\(id)") }
                let availability = (component["availability"] as? [[String: Any]]) ?? []
                #expect(availability.first?["topic"] as? String == "chargebridge/status", "\(id)")
                let followsOwnOnline = availability.contains { ($0["topic"] as? String)?.hasSuffix("/online") == true }
                let device = object.hasPrefix("chargebridge_charger_") || object.hasPrefix("chargebridge_meter_")
                #expect(followsOwnOnline == (device && !id.hasSuffix("_online")), "\(id): availability \(availability)")
            }
        }
    }

    /// The site shows off-peak with an off-peak rule, and the tariff index only when a meter's tariff decides it.
    @Test func offPeakAndTariffAppearOnlyWhereConfigured() throws {
        let site = Self.components(try Self.payloads()["chargebridge_site_site"])
        #expect(site["chargebridge_site_site_off_peak"] == nil && site["chargebridge_site_site_tariff"] == nil)
        let tic = """
            mqtt: { host: 127.0.0.1, port: 1883 }
            meters: [ { id: linky, tic: { device: /dev/null } } ]
            load_management: { zones: [ { id: garage, limit_a: 40 } ], off_peak: { source: tic } }
            chargers: [ { id: cp1, zone: garage, modbus: { port: 1502 } } ]
            """
        let withTariff = Self.components(try Self.payloads(of: tic)["chargebridge_site_site"])
        #expect(withTariff["chargebridge_site_site_off_peak"]?["p"] as? String == "binary_sensor")
        #expect(withTariff["chargebridge_site_site_tariff"]?["p"] as? String == "sensor")
        let clock = tic.replacingOccurrences(of: "off_peak: { source: tic }", with: "off_peak: {}")
        let withClock = Self.components(try Self.payloads(of: clock)["chargebridge_site_site"])
        #expect(withClock["chargebridge_site_site_off_peak"] != nil && withClock["chargebridge_site_site_tariff"] == nil)
    }

    @Test func controlsExistOnlyWhereTheyWorkAndRangesMatchTheBridge() throws {
        let all = try Self.payloads()
        let switcher = Self.components(all["chargebridge_charger_switcher"]), plain = Self.components(all["chargebridge_charger_plain"])
        #expect(switcher["chargebridge_charger_switcher_phases"]?["p"] as? String == "select")
        #expect(switcher["chargebridge_charger_switcher_phases"]?["options"] as? [String] == ["1", "3"])
        #expect(plain["chargebridge_charger_plain_phases"]?["p"] as? String == "sensor", "a charger that cannot switch phases gets no control")
        #expect(plain["chargebridge_charger_plain_phases"]?["command_topic"] == nil)
        // the bridge takes 0 or min…max for a current limit; the number offers min…max (pause: Enabled)
        #expect(plain["chargebridge_charger_plain_current_limit"]?["min"] as? Double == 6)
        #expect(plain["chargebridge_charger_plain_current_limit"]?["max"] as? Double == 32)
        #expect(Self.components(all["chargebridge_input_ripple"])["chargebridge_input_ripple_active"]?["p"] as? String == "switch")
        #expect(Self.components(all["chargebridge_input_gpio"])["chargebridge_input_gpio_active"]?["p"] as? String == "binary_sensor")
        // enums list every value the bridge can publish
        let status = plain["chargebridge_charger_plain_status"]
        #expect(status?["device_class"] as? String == "enum")
        let statusOptions = Set(status?["options"] as? [String] ?? [])
        #expect(statusOptions.isSuperset(of: ["available", "charging", "suspended-ev", "faulted", "unavailable"]), "\(statusOptions)")
        #expect(Set(plain["chargebridge_charger_plain_reason"]?["options"] as? [String] ?? []) == Set(LimitReasonNames.all))
        #expect(plain["chargebridge_charger_plain_session_energy"]?["state_class"] as? String == "total_increasing")
        for value in ["setpoint", "request", "session_duration"] {
            #expect(plain["chargebridge_charger_plain_\(value)"]?["state_class"] != nil, "\(value)")
        }
    }
}

/// The reasons a setpoint can have, as published on `reason`.
enum LimitReasonNames {
    static let all = ["ems", "failsafe", "local", "charger-max", "cable", "below-minimum", "fuse", "sun", "load-shedding", "enable", "meter-lost",
                      "zone", "reduction", "phase-switch", "mode", "no-vehicle", "off-peak", "random-delay", "queued", "low-consumption",
                      "offline", "operator", "disabled", "utility", "plan", "backend"]
}
