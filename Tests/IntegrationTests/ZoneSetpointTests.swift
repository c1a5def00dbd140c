import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Testing

/// A zone's limit set by an energy manager over Modbus (the zone block) and over MQTT, with a
/// minimum period between changes, a heartbeat and a failsafe limit [Schneider EcoStruxure EV
/// Charging Expert user guide §3.11.4].
@Suite("Zone setpoint over Modbus and MQTT", .serialized)
struct ZoneSetpointIntegrationTests {
    @Test func anEnergyManagerSetsAZoneLimitOverModbusAndMQTTAndSilenceBringsTheFailsafeLimit() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let charger = try TestEnvironment.freePort(), block = try TestEnvironment.freePort()
        let yaml = """
            ems: none
            modbus: { bind: 127.0.0.1, zones: { port: \(block) } }
            mqtt: \(broker.bridgeSettings)
            load_management:
              zones:
                - { id: garage, limit_a: 32, setpoint: { min_period_s: 3, heartbeat_s: 10, failsafe_limit_a: 8 } }
            chargers:
              - id: cp
                zone: garage
                max_current: 16
                failsafe_current: 16
                modbus: { port: \(charger) }
                simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 80, soc: 0.2 } ] }
            """
        let bridge = try BridgeProcess.run(yaml, waitingFor: [":\(block)"])
        defer { bridge.stop() }
        // no controller yet: the zone's own limit, the charger at its 16 A
        try waitForRegister(port: charger, address: 1008) { $0 == 16_000 }
        #expect(try readRegisters(port: block, .holding, address: 0, count: 7) == [32, 0, 0, 3, 10, 8, 32])
        try broker.waitFor("chargebridge/zone/garage/setpoint_state", equal: "local")

        // Modbus: 10 A for the zone, the charger follows; a change within 3 s is refused (03)
        let ems = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: block), unit: 255)
        defer { ems.close() }
        try ems.write(address: 0, registers: [10])
        #expect(throws: ModbusError.exception(code: 3)) { try ems.write(address: 0, registers: [12]) }
        try waitForRegister(port: charger, address: 1008) { $0 == 10_000 }
        #expect(try ems.read(.holding, address: 0, count: 3) == [10, 0, 1])
        #expect(throws: ModbusError.exception(code: 2)) { try ems.write(address: 2, registers: [1]) }   // read-only
        try broker.waitFor("chargebridge/zone/garage/setpoint_state", equal: "remote")
        try broker.waitFor("chargebridge/zone/garage/heartbeat", equal: "127.0.0.1")
        // while the Modbus controller is alive, another (MQTT) is refused and changes nothing
        for _ in 0..<4 {
            try ems.write(address: 1, registers: [1])                                // heartbeat
            Thread.sleep(forTimeInterval: 1)
        }
        let errors = try broker.subscriber(["chargebridge/error"])
        defer { errors.stop() }
        try broker.publish("chargebridge/zone/garage/setpoint/set", "12")
        try errors.waitFor("steered by 127.0.0.1")
        #expect(try ems.read(.holding, address: 0, count: 1) == [10])
        #expect(try readRegisters(port: charger, address: 1008).first == 10_000)

        // silence: after the 10 s heartbeat the failsafe limit, 8 A
        try waitForRegister(port: charger, address: 1008, timeout: 20) { $0 == 8_000 }
        #expect(try ems.read(.holding, address: 0, count: 3) == [8, 0, 2])
        try broker.waitFor("chargebridge/zone/garage/setpoint_state", equal: "failsafe")
        try bridge.waitFor("zone garage: no setpoint or heartbeat for 10 s: failsafe limit 8 A")

        // MQTT takes over after the silence: 12 A, kept alive by heartbeats, then silent again
        let states = try broker.subscriber(["chargebridge/zone/garage/setpoint", "chargebridge/zone/garage/heartbeat"])
        defer { states.stop() }
        try broker.publish("chargebridge/zone/garage/setpoint/set", "12")
        try bridge.waitFor("zone garage: setpoint 12 A from mqtt")
        #expect(throws: ModbusError.exception(code: 1)) { try ems.write(address: 0, registers: [14]) }   // steered by mqtt
        try broker.publish("chargebridge/zone/garage/heartbeat/set", "alive")
        try states.waitFor("chargebridge/zone/garage/setpoint 12")
        try states.waitFor("chargebridge/zone/garage/heartbeat mqtt")
        // silent again: a second failsafe, and the charger back at 8 A
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(20))
        while bridge.text.components(separatedBy: "failsafe limit 8 A").count < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(bridge.text.components(separatedBy: "failsafe limit 8 A").count == 3, "no second failsafe after the MQTT silence")
        try waitForRegister(port: charger, address: 1008, timeout: 20) { $0 == 8_000 }
        try broker.waitFor("chargebridge/zone/garage/setpoint_state", equal: "failsafe")
    }

    @Test func zoneSetpointConfigurationsAreChecked() throws {
        let cases: [(String, String)] = [
            ("modbus: { zones: { port: 1600 } }\nchargers: [ { id: c } ]", "no zone has setpoint"),
            ("load_management: { zones: [ { id: a, limit_a: 32, setpoint: { failsafe_limit_a: 40 } } ] }\nchargers: [ { id: c, zone: a } ]",
             "above the zone's limit_a"),
            ("load_management: { zones: [ { id: a, limit_a: 32, setpoint: { heartbeat_s: 600 } } ] }\nchargers: [ { id: c, zone: a } ]",
             "failsafe_limit_a"),
            ("modbus: { mode: gateway, zones: { unit: 255 } }\nload_management: { zones: [ { id: a, limit_a: 32, setpoint: { failsafe_limit_a: 8 } } ] }\nchargers: [ { id: c, zone: a } ]",
             "unit 255 is charger c's unit"),
        ]
        for (yaml, message) in cases {
            let file = try TestEnvironment.temporaryFolder().appendingPathComponent("bad.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let result = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path, "--while-running"])
            #expect(result.status != 0 && result.stderr.contains(message), "\(yaml): \(result.stderr)")
        }
    }
}
