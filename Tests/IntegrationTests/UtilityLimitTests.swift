import Foundation
import Testing

/// A utility's power limit end to end with a real Mosquitto: over MQTT (kW) and from a dimming
/// contact (an FNN control box's W4, here an MQTT input), never below the §14a floor, shared among
/// the chargers, published and lifted again; a bad value changes nothing.
@Suite("Utility power limit over MQTT")
struct UtilityLimitMQTTTests {
    @Test func aPowerLimitAndTheDimmingContactShareTheFloorAmongTheChargers() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let folder = try TestEnvironment.temporaryFolder()
        let ports = try (0..<2).map { _ in try TestEnvironment.freePort() }
        let ev = "simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] }"
        let yaml = """
            site: { name: Dimmed, increase_interval_s: 0.2, resume_delay_s: 0, utility: { dimmed_kw: 4.2 } }
            modbus: { bind: 127.0.0.1 }
            mqtt: \(broker.bridgeSettings)
            inputs: [ { id: w4, role: dimming, mqtt: true, debounce_ms: 0 } ]
            chargers:
              - { id: cp1, max_current: 16, failsafe_current: 16, modbus: { port: \(ports[0]) }, \(ev) }
              - { id: cp2, max_current: 16, failsafe_current: 16, modbus: { port: \(ports[1]) }, \(ev) }
            """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
        defer { bridge.stop() }
        try bridge.waitFor("MQTT connected")
        let errors = try broker.subscriber(["chargebridge/error"])
        defer { errors.stop() }
        for id in ["cp1", "cp2"] { try broker.waitFor("chargebridge/charger/\(id)/setpoint", equal: "16") }
        try broker.waitFor("chargebridge/site/utility_limited", equal: "OFF")

        // 5 kW asked for two chargers: they keep the floor of 7.56 kW, too little for both at 6 A on
        // three phases — one pauses, the other gets it all (10 A)
        try broker.publish("chargebridge/site/power_limit/set", "5")
        try broker.waitFor("chargebridge/site/power_limit", equal: "7.56")
        try broker.waitFor("chargebridge/site/utility_limited", equal: "ON")
        try broker.waitFor("chargebridge/charger/cp2/setpoint", equal: "0")
        try broker.waitFor("chargebridge/charger/cp1/setpoint", equal: "10")
        #expect(try broker.retained(["chargebridge/charger/cp2/reason"]).values.first == "utility")
        try bridge.waitFor("utility power limit: 5 kW asked; the chargers keep the §14a minimum of 7.56 kW")

        // a bad value is answered and changes nothing
        try broker.publish("chargebridge/site/power_limit/set", "-3")
        try errors.waitFor("expected kilowatts 0…10000 or none")
        #expect(try broker.retained(["chargebridge/site/power_limit"]).values.first == "7.56")

        // lifted: both back to 16 A
        try broker.publish("chargebridge/site/power_limit/set", "none")
        try broker.waitFor("chargebridge/site/utility_limited", equal: "OFF")
        try broker.waitFor("chargebridge/site/power_limit", equal: "None")
        for id in ["cp1", "cp2"] { try broker.waitFor("chargebridge/charger/\(id)/setpoint", equal: "16") }
        try bridge.waitFor("utility power limit ended")

        // the control box closes W4: dimmed to 4.2 kW, which is below the floor again
        try broker.publish("chargebridge/input/w4/active/set", "ON")
        try broker.waitFor("chargebridge/site/power_limit", equal: "7.56")
        try broker.waitFor("chargebridge/charger/cp2/setpoint", equal: "0")
        try broker.publish("chargebridge/input/w4/active/set", "OFF")
        for id in ["cp1", "cp2"] { try broker.waitFor("chargebridge/charger/\(id)/setpoint", equal: "16") }
    }
}
