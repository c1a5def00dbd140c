import Foundation
import LinkValues
import Modbus
import Testing

/// What the end-to-end test must know of a brand: its map, its emulator, and the vendor's own
/// encoding of 10 A (taken from the vendor's document, not from our map).
struct Brand: Sendable, CustomStringConvertible {
    let map: String
    /// Tests/Peers/chargers/<module>.py
    let module: String
    let unit: Int
    /// Where 10 A lands, and the words that mean 10 A for a car on three phases.
    let setpointUnit: Int
    let setpointAddress: Int
    let tenAmperes: [Int]
    /// The charger falls back to the bridge's failsafe current (a register the bridge sets);
    /// otherwise to its own `fixedSafeCurrent`.
    var fixedSafeCurrent: Double? = nil
    /// The watchdog time is set on the charger itself (the emulator is started with it).
    var fixedTimeout: Int? = nil
    /// The watchdog time the bridge configures (failsafe_timeout_s) where the charger takes it.
    var watchdogSeconds = 4
    var timeout: Int { fixedTimeout ?? watchdogSeconds }
    var phaseSwitching = false
    var rtu: (baud: Int, parity: String)? = nil

    var description: String { map }
}

/// Every brand's map, driven by the generic Modbus charger driver against that brand's emulator:
/// the energy manager's 5004 lands in the brand's register and unit, status reaches the EVC08 face
/// and MQTT, pause/resume/phases use the brand's own semantics, the charger's own watchdog catches a
/// dead bridge, and it survives the charger going away and a refused write.
@Suite("Chargers of every brand", .serialized)
struct BrandDriverTests {
    static let brands: [Brand] = BrandTable.all

    static let failsafeCurrent = 8

    static func config(_ brand: Brand, emulator: BrandEmulator, north: Int, broker: Broker?) -> String {
        """
        modbus: { bind: 127.0.0.1 }
        \(broker.map { "mqtt: \($0.bridgeSettings)" } ?? "")
        chargers:
          - id: cp
            driver: modbus
            southbound: { map: \(brand.map), \(emulator.endpoint), unit: \(brand.unit), period_ms: 250, timeout_ms: 500, failsafe_timeout_s: \(brand.timeout) }
            max_current: 16
            failsafe_current: \(failsafeCurrent)
            phase_switching: \(brand.phaseSwitching)
            modbus: { port: \(north) }
        """
    }

    static func startBridge(_ yaml: String, north: Int) throws -> ManagedProcess {
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--log-level", "info"])
        try bridge.waitFor(":\(north)")
        return bridge
    }

    static func ems(_ north: Int, _ writes: [(Int, UInt16)]) throws {
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: north), unit: 255)
        defer { client.close() }
        for (address, value) in writes { try client.write(address: address, registers: [value]) }
    }

    @Test(arguments: brands)
    func anEnergyManagerDrivesTheCharger(_ brand: Brand) throws {
        let port = try TestEnvironment.freePort(), north = try TestEnvironment.freePort()
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        var emulator = try BrandEmulator(brand, port: port)
        defer { emulator.stopAll() }
        let yaml = Self.config(brand, emulator: emulator, north: north, broker: broker)
        var bridge = try Self.startBridge(yaml, north: north)
        defer { bridge.stop() }

        // the charger's status reaches the EVC08 face and MQTT: with no energy manager yet, the
        // service starts in failsafe and the car charges at the failsafe current
        try waitForRegister(port: north, address: 1008, timeout: 15) { $0 == UInt16(Self.failsafeCurrent * 1000) }
        #expect(try readRegisters(port: north, address: 1000).first == 2)          // charging
        try broker.waitFor("chargebridge/charger/cp/status", equal: "charging")
        try broker.waitFor("chargebridge/charger/cp/current_l1", equal: "\(Self.failsafeCurrent).00")
        // what the charger reported of itself at connection is its Home Assistant device's identity
        if let serial = bridge.text.firstMatch(of: /serial ([^,\n]+)/)?.1 {
            let config = try broker.waitFor("homeassistant/device/chargebridge_charger_cp/config") { $0.contains("\"sn\":\"\(serial)\"") }
            #expect(config.contains("\"sn\":\"\(serial)\""))
        }

        // 5004 = 10 A at the EVC08 slave: the brand's register holds 10 A in its unit within 1.5 s
        let writesBefore = emulator.events("write").count
        let asked = Date()
        try Self.ems(north, [(2002, 60), (5004, 10), (6000, 1)])
        // the bridge may still refresh the failsafe current first: wait for the write that carries 10 A
        let landed = try emulator.process.waitForEvent("write", after: writesBefore, timeout: 5) {
            $0["address"] as? Int == brand.setpointAddress && $0["unit"] as? Int == brand.setpointUnit
                && $0["values"] as? [Int] == brand.tenAmperes
        }
        print("\(brand.map): 10 A at the brand's register \(Date().timeIntervalSince(asked)) s after the energy manager's write")
        #expect(Date().timeIntervalSince(asked) < 1.5 + TestEnvironment.patience, "10 A took \(Date().timeIntervalSince(asked)) s")
        #expect(landed["values"] as? [Int] == brand.tenAmperes, "\(landed)")
        try waitForRegister(port: north, address: 1008) { $0 == 10_000 }
        try broker.waitFor("chargebridge/charger/cp/current_l1", equal: "10.00")
        // energy runs on the EVC08 face (session energy, Wh)
        let energy = try readRegisters(port: north, address: 1502, count: 2)
        Thread.sleep(forTimeInterval: 2)
        let later = try readRegisters(port: north, address: 1502, count: 2)
        #expect((Int(later[0]) << 16 | Int(later[1])) > (Int(energy[0]) << 16 | Int(energy[1])), "session energy does not grow: \(energy) → \(later)")

        // a pause and a resume in the brand's own way: the car stops, then draws 10 A again
        try Self.ems(north, [(5004, 0), (6000, 1)])
        try waitForRegister(port: north, address: 1008) { $0 == 0 }
        try broker.waitFor("chargebridge/charger/cp/status") { $0.hasPrefix("suspended") }
        try Self.ems(north, [(5004, 10), (6000, 1)])
        try waitForRegister(port: north, address: 1008) { $0 == 10_000 }

        // phases, where the brand switches them
        if brand.phaseSwitching {
            try Self.ems(north, [(405, 0), (6000, 1)])
            try emulator.waitFor("phases") { $0["phases"] as? Int == 1 }
            try waitForRegister(port: north, address: 1010) { $0 == 0 }       // L2 stops
            try Self.ems(north, [(405, 1), (6000, 1)])
            try emulator.waitFor("phases") { $0["phases"] as? Int == 3 }
        }

        // kill -9: the charger falls back on its own within its watchdog time
        bridge.child.signal(SIGKILL)
        let killed = Date()
        let fallback = try emulator.waitFor("fallback-entered", timeout: Double(brand.timeout) + 6)
        #expect(Date().timeIntervalSince(killed) < Double(brand.timeout) + 1.5 + TestEnvironment.patience)
        #expect(fallback["current"] as? Double == brand.fixedSafeCurrent ?? Double(Self.failsafeCurrent), "\(fallback)")

        // back up: the bridge takes the charger over again
        bridge = try Self.startBridge(yaml, north: north)
        try emulator.waitFor("fallback-left", timeout: 10)
        // online first: the restarted bridge shows the charger offline until its first full status,
        // and on a busy machine the outage below would otherwise be checked against that
        try waitForRegister(port: north, address: 1002, timeout: 15) { $0 == 1 }
        try broker.waitFor("chargebridge/charger/cp/online", equal: "ON")

        // the charger goes away and comes back: offline, then online
        emulator.process.stop()
        try waitForRegister(port: north, address: 1002, timeout: 15) { $0 == 2 }
        try broker.waitFor("chargebridge/charger/cp/online", equal: "OFF")
        emulator = try emulator.restart(brand, port: port)
        try waitForRegister(port: north, address: 1002, timeout: 20) { $0 == 1 }
        try broker.waitFor("chargebridge/charger/cp/online", equal: "ON")
        try bridge.waitFor("charger answers again")
    }

    @Test(arguments: brands)
    func readAndCheckConfigShowTheCharger(_ brand: Brand) throws {
        let port = try TestEnvironment.freePort(), north = try TestEnvironment.freePort()
        let emulator = try BrandEmulator(brand, port: port)
        defer { emulator.stopAll() }
        // read it like a meter, by the map's name: every quantity, and what the status means
        var arguments = ["read", "--map", brand.map, "--unit", "\(brand.unit)", "--json", "--stats"]
        arguments += emulator.serialEnds.map { ["--rtu", $0.1] } ?? ["--tcp", "127.0.0.1:\(port)"]
        let read = try runCommand(try TestEnvironment.chargebridge, arguments)
        #expect(read.status == 0, "\(read.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any], "\(read.stdout)")
        #expect(object["charger.status"] as? String == "charging", "\(object)")
        #expect(object["charger.iec_state"] as? String == "C")
        #expect(object["current.l1"] as? Double == 32)
        #expect(read.stderr.contains("the charger driver's status poll: "))
        // check-config names the driver, the endpoint, the setpoint unit and the watchdog it feeds
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("chargebridge.yaml")
        try Self.config(brand, emulator: emulator, north: north, broker: nil).write(to: file, atomically: true, encoding: .utf8)
        let check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path, "--while-running"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("cp: modbus "), "\(check.stdout)")
        #expect(check.stdout.contains("map ") && check.stdout.contains("setpoint ") && check.stdout.contains("watchdog"), "\(check.stdout)")
    }

    @Test(arguments: brands)
    func aRefusedWriteIsLoggedByNameAndNotRetriedInALoop(_ brand: Brand) throws {
        let port = try TestEnvironment.freePort(), north = try TestEnvironment.freePort()
        let emulator = try BrandEmulator(brand, port: port, extra: ["--refuse", "\(brand.setpointAddress)"])
        defer { emulator.stopAll() }
        let bridge = try Self.startBridge(Self.config(brand, emulator: emulator, north: north, broker: nil), north: north)
        defer { bridge.stop() }
        try bridge.waitFor("the charger refused", timeout: .seconds(15))
        try Self.ems(north, [(2002, 60), (5004, 10), (6000, 1)])
        Thread.sleep(forTimeInterval: 4)
        let refusals = emulator.events("refused").count
        // one refusal per distinct value asked for, not one per poll or per re-assert
        #expect(refusals >= 1 && refusals <= 3, "\(refusals) refused writes")
        #expect(bridge.text.contains("illegal data value"))
        let logged = bridge.text.components(separatedBy: "the charger refused").count - 1
        #expect(logged >= 1 && logged <= refusals, "logged \(logged)× for \(refusals) refusals")
        #expect(!bridge.text.contains("charger unreachable"), "a refusal is not an outage")
        // the charger is still read and shown
        try waitForRegister(port: north, address: 1002) { $0 == 1 }
    }
}
