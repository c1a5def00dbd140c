import Foundation
import LinkValues
import Modbus
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

/// The limit from a grid operator's gateway register (a pymodbus peer), watched through MQTT with
/// a real Mosquitto: followed while its heartbeat counts, the failsafe limit when the heartbeat
/// stops and at once on a bad value, the limit again once the heartbeat moves; an MQTT limit lower
/// than the gateway's holds, and is still there after a restart.
@Suite("Utility power limit from a Modbus gateway")
struct UtilityGatewayLimitTests {
    @Test func theGatewaysLimitHeartbeatAndFailsafe() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let folder = try TestEnvironment.temporaryFolder()
        let gatewayPort = try TestEnvironment.freePort()
        let gateway = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("utility_gateway.py"), "--tcp", "\(gatewayPort)", "--lifetime", "300"])
        defer { gateway.stop() }
        try gateway.waitFor("ready")
        let ports = try (0..<2).map { _ in try TestEnvironment.freePort() }
        let ev = "simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] }"
        // i16 in 0.1 kW; -1 means no limit; the failsafe (9 kW) is above the floor of two chargers (7.56 kW)
        let yaml = """
            site:
              name: Gateway
              increase_interval_s: 0.2
              resume_delay_s: 0
              utility:
                modbus:
                  tcp: 127.0.0.1:\(gatewayPort)
                  unit: 1
                  limit: { address: 100, type: i16, scale: 0.1, unit: kW, no_limit: -1 }
                  heartbeat: { address: 101, timeout_s: 3 }
                  period_ms: 200
                  failsafe_kw: 9
            modbus: { bind: 127.0.0.1 }
            mqtt: \(broker.bridgeSettings)
            storage: { data_dir: \(folder.appendingPathComponent("data").path) }
            chargers:
              - { id: cp1, max_current: 16, failsafe_current: 16, modbus: { port: \(ports[0]) }, \(ev) }
              - { id: cp2, max_current: 16, failsafe_current: 16, modbus: { port: \(ports[1]) }, \(ev) }
            """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: gatewayPort), unit: 1)
        defer { client.close() }
        try client.write(address: 100, registers: [UInt16(bitPattern: -1)])        // no limit
        var bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
        defer { bridge.stop() }
        try bridge.waitFor("MQTT connected")
        for id in ["cp1", "cp2"] { try broker.waitFor("chargebridge/charger/\(id)/setpoint", equal: "16") }
        try broker.waitFor("chargebridge/site/power_limit", equal: "None")

        // the gateway asks 11 kW: the chargers share it
        try client.write(address: 100, registers: [110])
        try broker.waitFor("chargebridge/site/power_limit") { Double($0) == 11 }
        try broker.waitFor("chargebridge/site/utility_limited", equal: "ON")
        try broker.waitFor("chargebridge/site/utility_gateway", equal: "ok")
        try broker.waitFor("chargebridge/charger/cp1/setpoint") { Int($0).map { $0 < 16 } ?? false }
        try bridge.waitFor("utility power limit: 11 kW for the chargers together")

        // the gateway hangs (its heartbeat stops): the failsafe limit after 3 s
        try client.write(address: 200, registers: [0])
        try broker.waitFor("chargebridge/site/power_limit") { Double($0) == 9 }
        try bridge.waitFor("utility gateway: the heartbeat did not change for 3 s: failsafe limit 9 kW")
        try broker.waitFor("chargebridge/site/utility_gateway") { $0.hasPrefix("failsafe: ") && $0.contains("heartbeat") }
        // it runs again: its limit holds again
        try client.write(address: 200, registers: [1])
        try broker.waitFor("chargebridge/site/power_limit") { Double($0) == 11 }

        // a negative limit is no power: refused, the failsafe at once; a good value and a moving
        // heartbeat end it
        try client.write(address: 100, registers: [UInt16(bitPattern: -10)])
        try broker.waitFor("chargebridge/site/power_limit") { Double($0) == 9 }
        try client.write(address: 100, registers: [100])
        try broker.waitFor("chargebridge/site/power_limit") { Double($0) == 10 }

        // an MQTT limit lower than the gateway's holds, and is kept across a restart
        try broker.publish("chargebridge/site/power_limit/set", "8")
        try broker.waitFor("chargebridge/site/power_limit") { Double($0) == 8 }
        bridge.stop()
        bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
        try bridge.waitFor("runtime state: utility power limit 8 kW holds again")
        try bridge.waitFor("MQTT connected")
        try broker.waitFor("chargebridge/site/power_limit") { Double($0) == 8 }
    }
}
