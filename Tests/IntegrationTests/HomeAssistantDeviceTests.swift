import Foundation
import Testing

/// What Home Assistant sees of a site, read back from a real Mosquitto by a client of its own
/// (paho-mqtt): a meter's entities are the quantities it delivers, a charger's device says what is
/// known of the charger and nothing invented, and "no value" is an explicit retained payload,
/// never a deleted topic.
@Suite("Home Assistant devices")
struct HomeAssistantDeviceTests {
    static func discovery(_ broker: Broker, _ object: String) throws -> [String: Any] {
        let payload = try #require(try broker.retained(["homeassistant/device/chargebridge_\(object)/config"]).values.first, "no config for \(object)")
        return try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
    }

    static func componentValues(_ config: [String: Any], _ object: String) -> Set<String> {
        Set(((config["cmps"] as? [String: Any]) ?? [:]).keys.map { String($0.dropFirst("chargebridge_\(object)_".count)) })
    }

    @Test func entitiesAndDevicesShowWhatIsKnownAndNoValueIsExplicit() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let folder = try TestEnvironment.temporaryFolder()
        let closed = try TestEnvironment.freePort(), face = try TestEnvironment.freePort(), face2 = try TestEnvironment.freePort()
        let yaml = """
            site: { name: HA test site, grid_meter: grid, fuse_a: 32 }
            modbus: { bind: 127.0.0.1 }
            mqtt: \(broker.bridgeSettings)
            meters:
              - id: grid                 # three currents announced, none ever delivered
                mqtt: { max_age_s: 5, values: { current.l1: { topic: test/grid/l1 }, current.l2: { topic: test/grid/l2 }, current.l3: { topic: test/grid/l3 } } }
              - id: pv                   # a Shelly with a total power only
                mqtt: { max_age_s: 30, values: { power.total: { topic: test/pv/power, unit: W } } }
            chargers:
              - id: alfen                # nothing answers at its address: offline from the start
                driver: modbus
                southbound: { map: alfen-ng9xx, tcp: "127.0.0.1:\(closed)", unit: 1 }
                modbus: { port: \(face) }
              - id: sim
                identity: { serial: SN-4711 }
                modbus: { port: \(face2) }
            """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
        defer { bridge.stop() }
        try bridge.waitFor("MQTT connected")

        // before any value: the PV meter's device has its `online` only
        try broker.waitFor("homeassistant/device/chargebridge_meter_pv/config") { $0.contains("\"cmps\"") }
        #expect(Self.componentValues(try Self.discovery(broker, "meter_pv"), "meter_pv") == ["online"])
        // the first power reading announces the one entity it has, not thirteen unknown ones
        try broker.publish("test/pv/power", "1234", retain: true)
        try broker.waitFor("chargebridge/meter/pv/power", equal: "1234")
        try broker.waitFor("homeassistant/device/chargebridge_meter_pv/config") { $0.contains("chargebridge_meter_pv_power") }
        let pv = try Self.discovery(broker, "meter_pv")
        #expect(Self.componentValues(pv, "meter_pv") == ["online", "power"])
        let pvDevice = try #require(pv["dev"] as? [String: Any])
        #expect(pvDevice["mf"] == nil && pvDevice["mdl"] == nil && pvDevice["sw"] == nil, "an MQTT meter's maker is not known: \(pvDevice)")
        #expect(Self.componentValues(try Self.discovery(broker, "meter_grid"), "meter_grid") == ["online"])

        // the offline Alfen: the map's maker and name, no serial, no firmware, no EVC08 face defaults
        let alfen = try #require(try Self.discovery(broker, "charger_alfen")["dev"] as? [String: Any])
        #expect(alfen["mf"] as? String == "Alfen", "\(alfen)")
        #expect((alfen["mdl"] as? String)?.hasPrefix("Alfen NG9xx") == true, "\(alfen)")
        #expect(alfen["sn"] == nil && alfen["sw"] == nil, "\(alfen)")
        // a simulated charger says so; a configured serial is shown
        let sim = try #require(try Self.discovery(broker, "charger_sim")["dev"] as? [String: Any])
        #expect(sim["mf"] as? String == "chargebridge" && sim["mdl"] as? String == "Simulated charger" && sim["sn"] as? String == "SN-4711", "\(sim)")

        // retained state: no topic is empty; what has no value says None
        let state = try broker.retained(["chargebridge/#"])
        #expect(state["chargebridge/site/current_l1"] == "None", "the grid meter never answered: \(state["chargebridge/site/current_l1"] ?? "deleted")")
        #expect(state["chargebridge/meter/grid/current_l1"] == "None")
        #expect(state["chargebridge/charger/alfen/id_tag"] == "None")
        let empty = state.filter { $0.value.isEmpty }.map(\.key).sorted()
        #expect(empty.isEmpty, "retained state deleted by an empty payload: \(empty)")
        let deleted = ["site/power", "meter/grid/current_l2", "charger/alfen/power", "charger/sim/session_energy"].filter { state["chargebridge/\($0)"] == nil }
        #expect(deleted.isEmpty, "missing retained topics: \(deleted)")
    }
}
