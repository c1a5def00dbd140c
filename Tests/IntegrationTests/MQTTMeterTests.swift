import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Synchronization
import Testing

/// Grid meters whose values arrive over MQTT, with a real Mosquitto and its own client
/// (mosquitto_pub) publishing: a Shelly Pro 3EM's JSON status drives the fuse loop; plain numbers
/// on one topic per quantity; junk (hex, exponents, NaN, absurd values) and silence make the meter
/// lost, the charger falls back, and the log says why.
@Suite("MQTT meters", .serialized)
struct MQTTMeterTests {
    /// Publishes the payloads it holds every 0.5 s, as a meter would, until stopped.
    final class Publisher: Sendable {
        let broker: Broker
        private let payloads = Mutex<[String: String]>([:])
        private let running = Atomic<Bool>(true)
        private let done = DispatchSemaphore(value: 0)

        init(_ broker: Broker) {
            self.broker = broker
            Thread.detachNewThread { [self] in
                while running.load(ordering: .acquiring) {
                    for (topic, payload) in payloads.withLock({ $0 }) { try? broker.publish(topic, payload) }
                    Thread.sleep(forTimeInterval: 0.5)
                }
                done.signal()
            }
        }

        func set(_ new: [String: String]) { payloads.withLock { $0 = new } }
        func stop() {
            running.store(false, ordering: .releasing)
            done.wait()
        }
    }

    static func shelly(_ currents: [Double]) -> [String: String] {
        let powers = currents.map { $0 * 230 }
        return ["shellypro3em-test/status/em:0": """
            {"id":0,"a_current":\(currents[0]),"a_voltage":230.0,"a_act_power":\(powers[0]),"b_current":\(currents[1]),"b_voltage":230.0,\
            "b_act_power":\(powers[1]),"c_current":\(currents[2]),"c_voltage":230.0,"c_act_power":\(powers[2]),\
            "total_current":\(currents.reduce(0, +)),"total_act_power":\(powers.reduce(0, +)),"user_calibrated_phase":[]}
            """]
    }

    static func start(_ broker: Broker, meter: String, chargerPort: Int) throws -> ManagedProcess {
        let yaml = FuseSite.yaml(site: "increase_interval_s: 0.5, resume_delay_s: 0, fallback_a: 0, meter_stale_s: 3",
                                 head: "mqtt: \(broker.bridgeSettings)", meters: "  - id: grid\n\(meter)", chargerPort: chargerPort)
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("mqtt-meter.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path, "--while-running"])
        #expect(check.status == 0, "\(check.stderr)")
        return try FuseSite.run(yaml, chargerPort: chargerPort, file: file)
    }

    @Test func aShellyPro3EMDrivesTheFuseLoop() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let publisher = Publisher(broker)
        defer { publisher.stop() }
        publisher.set(Self.shelly([5, 5, 5]))
        let chargerPort = try TestEnvironment.freePort()
        let meter = """
                mqtt:
                  topic: shellypro3em-test/status/em:0
                  max_age_s: 5
                  values:
                    current.l1: { path: a_current }
                    current.l2: { path: b_current }
                    current.l3: { path: c_current }
                    power.l1: { path: a_act_power }
                    power.l2: { path: b_act_power }
                    power.l3: { path: c_act_power }
                    power.total: { path: total_act_power, unit: W }
                    voltage.l1: { path: a_voltage }
            """
        let bridge = try Self.start(broker, meter: meter, chargerPort: chargerPort)
        defer { bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: chargerPort), unit: 255)
        defer { client.close() }
        #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil, "\(bridge.text.suffix(1500))")
        // the house draws 25 A: 7 A are left for the EV under the 32 A fuse
        publisher.set(Self.shelly([25, 25, 25]))
        #expect(try FuseSite.waitForCurrent(client, within: 5) { $0 <= 7.01 && $0 > 0 } != nil, "\(bridge.text.suffix(1500))")
        // the meter's values are on the bridge's own MQTT face too
        try broker.waitFor("chargebridge/meter/grid/current_l1") { Double($0) == 25 }
        // the Shelly goes quiet: the values age out, the meter is lost, the EV falls back to 0 A
        publisher.set([:])
        #expect(try FuseSite.waitForCurrent(client, within: 15) { $0 == 0 } != nil, "\(bridge.text.suffix(1500))")
    }

    @Test func junkOnOneTopicPerQuantityLosesTheMeterAndIsLogged() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let publisher = Publisher(broker)
        defer { publisher.stop() }
        func plain(_ l1: String, _ l2: String = "5", _ l3: String = "5") -> [String: String] {
            ["ha/grid/current_l1": l1, "ha/grid/current_l2": l2, "ha/grid/current_l3": l3, "ha/grid/power": "3.45"]
        }
        publisher.set(plain("5"))
        let chargerPort = try TestEnvironment.freePort()
        let meter = """
                mqtt:
                  max_age_s: 5
                  values:
                    current.l1: { topic: ha/grid/current_l1 }
                    current.l2: { topic: ha/grid/current_l2 }
                    current.l3: { topic: ha/grid/current_l3 }
                    power.total: { topic: ha/grid/power, unit: kW }
            """
        let bridge = try Self.start(broker, meter: meter, chargerPort: chargerPort)
        defer { bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: chargerPort), unit: 255)
        defer { client.close() }
        #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil, "\(bridge.text.suffix(1500))")
        // each kind of junk on L1: the value is missing (never 16 A, never 0 A read as "no load"), the EV falls back
        for junk in ["0x10", "1e1", "nan", "5000", "twelve"] {
            publisher.set(plain(junk))
            #expect(try FuseSite.waitForCurrent(client, within: 15) { $0 == 0 } != nil, "\(junk): \(bridge.text.suffix(1500))")
            publisher.set(plain("5"))
            #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil, "after \(junk): \(bridge.text.suffix(1500))")
        }
        #expect(bridge.text.contains("MQTT meter grid: current.l1 on ha/grid/current_l1: not a plain decimal number: \"0x10\""), "\(bridge.text.suffix(3000))")
    }
}
