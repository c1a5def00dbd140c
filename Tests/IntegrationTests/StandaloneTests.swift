import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Testing

/// A home without an energy manager (`ems: none`): the chargers run on the local loops, which is
/// their normal state — no failsafe alarm on MQTT, in health or in the status lines; mode `now`
/// takes effect at the next control step, and so does a restart with a car plugged in.
@Suite("Standalone site", .serialized)
struct StandaloneTests {
    struct Site {
        let broker: Broker
        let meter: ManagedProcess
        let config: URL
        let chargerPort: Int
        var bridge: ManagedProcess

        func stop() {
            bridge.stop()
            meter.stop()
            broker.stop()
        }
    }

    static func start() throws -> Site {
        let broker = try Broker("test-auth.conf")
        let meterPort = try TestEnvironment.freePort(), chargerPort = try TestEnvironment.freePort()
        let folder = try TestEnvironment.temporaryFolder()
        let values = folder.appendingPathComponent("values.yaml")
        try "current.l1: 5\ncurrent.l2: 5\ncurrent.l3: 5\npower.total: 3450\n".write(to: values, atomically: true, encoding: .utf8)
        let meter = try ManagedProcess(try TestEnvironment.chargebridge, ["simulate", "meter", "--map", "pac2200", "--port", "\(meterPort)", "--values", values.path])
        try meter.waitFor("serving")
        let config = folder.appendingPathComponent("home.yaml")
        try FuseSite.yaml(site: "fallback_a: 0", head: "ems: none\nmqtt: \(broker.bridgeSettings)\nstorage: { data_dir: \(folder.path) }",
                          meters: "  - { id: grid, map: pac2200, tcp: \"127.0.0.1:\(meterPort)\", unit: 1, period_ms: 500 }", chargerPort: chargerPort)
            .write(to: config, atomically: true, encoding: .utf8)
        return Site(broker: broker, meter: meter, config: config, chargerPort: chargerPort, bridge: try Self.bridge(config, chargerPort))
    }

    static func bridge(_ config: URL, _ chargerPort: Int) throws -> ManagedProcess {
        try FuseSite.run("", chargerPort: chargerPort, file: config, arguments: ["--log-level", "info", "--status-interval", "1"])
    }

    static func client(_ site: Site) throws -> ModbusClient {
        try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: site.chargerPort), unit: 255)
    }

    @Test func aStandaloneSiteIsLocalNotAnAlarm() throws {
        let site = try Self.start()
        defer { site.stop() }
        try site.broker.waitFor("chargebridge/charger/ev/master", equal: "local")
        try site.broker.waitFor("chargebridge/charger/ev/failsafe", equal: "OFF")
        let health = try site.broker.waitFor("chargebridge/health", timeout: 20) { $0.contains("chargers_local") }
        #expect(health.contains("\"chargers_local\":[\"ev\"]") && health.contains("\"chargers_in_failsafe\":[]") && health.contains("\"status\":\"ok\""), "\(health)")
        // the status lines say local, never FAILSAFE
        try site.bridge.waitFor("Wh  local")
        #expect(!site.bridge.text.contains("FAILSAFE"), "\(site.bridge.text.suffix(1500))")
    }

    @Test func modeNowTakesEffectAtTheNextStep() throws {
        let site = try Self.start()
        defer { site.stop() }
        let client = try Self.client(site)
        defer { client.close() }
        #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil, "\(site.bridge.text.suffix(1500))")
        try site.broker.publish("chargebridge/charger/ev/mode/set", "off")
        #expect(try FuseSite.waitForCurrent(client, within: 5) { $0 == 0 } != nil)
        Thread.sleep(forTimeInterval: 1)
        // the setpoint as MQTT shows it (published at once): the car's own ramp is not the bridge's
        let setpoint = try site.broker.subscriber(["chargebridge/charger/ev/setpoint"])
        defer { setpoint.stop() }
        try setpoint.waitFor("setpoint 0")
        let asked = Date()
        try site.broker.publish("chargebridge/charger/ev/mode/set", "now")
        try setpoint.waitFor("setpoint 16", timeout: .seconds(15))
        let took = Date().timeIntervalSince(asked)
        print("mode now: setpoint 16 A \(took) s after the command")
        #expect(took < 1 + TestEnvironment.patience, "mode now took \(took) s: \(site.bridge.text.suffix(1500))")
        #expect(try FuseSite.waitForCurrent(client, within: 5) { $0 > 0 } != nil, "the car draws again")
    }

    @Test func aRestartWithACarPluggedInChargesAtOnce() throws {
        var site = try Self.start()
        defer { site.stop() }
        let client = try Self.client(site)
        #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil)
        client.close()
        site.bridge.stop()
        let restarted = Date()
        site.bridge = try Self.bridge(site.config, site.chargerPort)
        let again = try Self.client(site)
        defer { again.close() }
        let charging = try #require(try FuseSite.waitForCurrent(again, within: 20) { $0 > 0 }, "\(site.bridge.text.suffix(1500))")
        let total = Date().timeIntervalSince(restarted)
        // it waited more than 12 s before (the ramp and the resume delay); a busy test machine adds start-up time
        #expect(total < 5, "after a restart the car charged after \(total) s (\(charging) s after the listener was up)")
    }
}
