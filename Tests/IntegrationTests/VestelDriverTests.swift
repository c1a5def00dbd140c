import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Testing

/// The southbound Vestel EVC04/EVC08 driver against chargers nobody here wrote the protocol side
/// of: a pymodbus EVC04 emulator that enforces the alive watchdog, and chargebridge's own
/// northbound slave (a bridge behind a bridge).
@Suite("Vestel driver", .serialized)
struct VestelDriverTests {
    static func startBridge(_ yaml: String, waitFor port: Int) throws -> ManagedProcess {
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--log-level", "info"])
        try bridge.waitFor(":\(port)")
        return bridge
    }

    static func write(port: Int, _ address: Int, _ value: UInt16) throws {
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: port), unit: 255)
        defer { client.close() }
        try client.write(address: address, registers: [value])
    }

    @Test func theDriverControlsAnEmulatedEVC04AndItsWatchdogCatchesADeadBridge() throws {
        let charger = try TestEnvironment.freePort(), north1 = try TestEnvironment.freePort(), north2 = try TestEnvironment.freePort()
        let emulator = try EVC04Emulator(ports: [charger])   // a vehicle plugged for good, up to 32 A
        let yaml = """
            modbus: { bind: 127.0.0.1 }
            chargers:
              - { id: cp1, driver: vestel, southbound: { tcp: "127.0.0.1:\(charger)", period_ms: 250, failsafe_timeout_s: 4 },
                  max_current: 16, failsafe_current: 10, modbus: { port: \(north1) } }
              - { id: cp2, max_current: 16, modbus: { port: \(north2) },
                  simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 32, capacity_kwh: 80, soc: 0.1 } ] } }
            """
        var bridge = try Self.startBridge(yaml, waitFor: north2)
        defer { bridge.stop(); emulator.process.stop() }

        // on connection: the charger's own watchdog, the failsafe share, then the setpoint
        #expect(try emulator.waitFor("failsafe-timeout")["value"] as? Int == 4)
        #expect(try emulator.waitFor("failsafe-current")["value"] as? Int == 10)
        #expect(try emulator.waitFor("setpoint")["value"] as? Int == 10)
        // the charger's real status shows on the bridge's northbound registers
        try waitForRegister(port: north1, address: 1008) { $0 == 10_000 }
        #expect(try readRegisters(port: north1, address: 1000).first == 2)      // charging
        #expect(try readRegisters(port: north1, address: 1002).first == 1)      // running

        // an energy manager lowers the current on the bridge: the decrease reaches the charger at once
        try Self.write(port: north1, 2002, 60)
        let asked = Date()
        try Self.write(port: north1, 5004, 7)
        try Self.write(port: north1, 6000, 1)
        let lowered = try emulator.waitFor("setpoint", count: 2, timeout: 5)
        #expect(lowered["value"] as? Int == 7)
        #expect(Date().timeIntervalSince(asked) < 1.5 + TestEnvironment.patience, "a decrease took \(Date().timeIntervalSince(asked)) s")
        try waitForRegister(port: charger, address: 1008) { $0 == 7_000 }

        // three watchdog periods: the bridge feeds the alive register, the charger never falls back
        Thread.sleep(forTimeInterval: 9)
        #expect(emulator.events("failsafe-entered").isEmpty, "\(emulator.process.text.suffix(800))")

        // the bridge dies: the charger falls back to the failsafe share on its own, within its timeout
        bridge.child.signal(SIGKILL)
        let killed = Date()
        let entered = try emulator.waitFor("failsafe-entered", timeout: 10)
        #expect(entered["current"] as? Int == 10)
        #expect(Date().timeIntervalSince(killed) < 4 + 1.5 + TestEnvironment.patience)
        try waitForRegister(port: charger, address: 1008) { $0 == 10_000 }

        // back up: it writes the alive register again and the charger leaves its failsafe
        bridge = try Self.startBridge(yaml, waitFor: north2)
        try emulator.waitFor("failsafe-left", timeout: 10)

        // the charger goes away: it shows as faulted/offline; the other charger is not disturbed
        emulator.process.stop()
        try waitForRegister(port: north1, address: 1002) { $0 == 2 }
        for _ in 0..<10 {
            let start = Date()
            _ = try readRegisters(port: north2, address: 1000, count: 20)
            #expect(Date().timeIntervalSince(start) < 0.5 + TestEnvironment.patience)
        }
        try bridge.waitFor("charger unreachable")
        #expect(bridge.text.components(separatedBy: "charger unreachable").count == 2, "the outage is logged once")
    }

    @Test func aBridgeDrivesAnotherBridgesChargerThroughItsNorthboundSlave() throws {
        let upstream = try TestEnvironment.freePort(), north = try TestEnvironment.freePort()
        // the charger's side: a simulated charger behind bridge A, shown as an EVC08
        let chargerSide = try Self.startBridge("""
            modbus: { bind: 127.0.0.1 }
            chargers:
              - { id: real, max_current: 16, failsafe_current: 6, failsafe_timeout_s: 20, modbus: { port: \(upstream) },
                  identity: { serial: "UPSTREAM-1" },
                  simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 32, capacity_kwh: 80, soc: 0.1, id_tag: CARD7 } ] } }
            """, waitFor: upstream)
        defer { chargerSide.stop() }
        // bridge B drives it southbound with the Vestel map and serves it north again
        let bridge = try Self.startBridge("""
            modbus: { bind: 127.0.0.1 }
            chargers:
              - { id: proxy, driver: vestel, southbound: { tcp: "127.0.0.1:\(upstream)", period_ms: 250, failsafe_timeout_s: 4 },
                  max_current: 16, failsafe_current: 12, modbus: { port: \(north) } }
            """, waitFor: north)
        defer { bridge.stop() }

        try bridge.waitFor("serial UPSTREAM-1")
        // B is A's master: it set A's failsafe timeout and keeps A alive, so A obeys B's setpoint (12 A)
        try chargerSide.waitFor("failsafe left")
        try waitForRegister(port: upstream, address: 1008) { $0 == 12_000 }
        #expect(try readRegisters(port: upstream, .holding, address: 2002).first == 4)
        // A's status, through B: current, session and id tag
        try waitForRegister(port: north, address: 1008) { $0 == 12_000 }
        let tag = try readRegisters(port: north, address: 1516, count: 15)
        #expect(String(decoding: tag.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }.filter { $0 != 0 }, as: UTF8.self) == "CARD7")
        // an EMS on B lowers the current: A's charger follows
        try Self.write(port: north, 2002, 60)
        try Self.write(port: north, 5004, 8)
        try Self.write(port: north, 6000, 1)
        try waitForRegister(port: upstream, address: 1008, timeout: 5) { $0 == 8_000 }
        // B dies: A's own watchdog takes over within B's timeout (4 s) and A falls back
        bridge.child.signal(SIGKILL)
        try chargerSide.waitFor("failsafe entered", timeout: .seconds(10))
    }
}
