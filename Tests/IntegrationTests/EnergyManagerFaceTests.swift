import Foundation
import RegisterMaps
import Testing

/// What a test must know of a face: its file, the energy manager written from the vendor's
/// document (Tests/Peers/), and where that table shows the L1 current.
struct FaceUnderTest: Sendable, CustomStringConvertible {
    let face: String
    let peer: String
    /// The master's own watchdog time (the peer sets it), seconds.
    let timeout: Double
    /// L1 current: a holding register pair in mA (u32, high word first).
    let currentL1: Int
    var description: String { face }

    static let bender = FaceUnderTest(face: "bender-cc613", peer: "bender_ems.py", timeout: 3, currentL1: 212)
    static let keba = FaceUnderTest(face: "keba-p30", peer: "keba_ems.py", timeout: 10, currentL1: 1008)
    static let all = [bender, keba]
}

/// Energy managers that speak the Bender CC613 or KEBA P30 table steer chargers of every kind
/// through the bridge's faces: setpoint, pause, energy, silence → failsafe, readers beside the
/// master, and one master across several faces of one charger.
@Suite("Energy-manager faces", .serialized)
struct EnergyManagerFaceTests {
    static let simulatedCharger = """
          - id: cp
            min_current: 6
            max_current: 16
            failsafe_current: 6
            failsafe_timeout_s: 20
            modbus: { port: PORT0, face: FACE }
            identity: { serial: "4711", brand: "chargebridge", model: "EVC08", firmware: "1.2" }
            simulation:
              evs:
                - { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 80, soc: 0.2 }

        """

    func peer(_ face: FaceUnderTest, port: Int, _ arguments: [String], timeout: Duration = .seconds(120)) throws -> [String: Any] {
        let result = try runCommand(try TestEnvironment.python, [TestEnvironment.peer(face.peer), "--port", "\(port)"] + arguments,
                                    timeout: timeout)
        #expect(result.status == 0, "\(result.stderr)")
        return try parseReading(result.stdout)
    }

    /// The L1 current the face shows, amperes.
    func currentL1(_ face: FaceUnderTest, port: Int) throws -> Double {
        let words = try readRegisters(port: port, .holding, address: face.currentL1, count: 2)
        return Double(Int(words[0]) << 16 | Int(words[1])) / 1000
    }

    func waitForCurrent(_ face: FaceUnderTest, port: Int, timeout: Double, _ accept: (Double) -> Bool) throws {
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(timeout))
        var last = -1.0
        while Date() < deadline {
            last = try currentL1(face, port: port)
            if accept(last) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TestFailure("L1 current on the \(face.face) face stayed \(last) A")
    }

    @Test(arguments: FaceUnderTest.all)
    func anEnergyManagerDrivesASimulatedCharger(_ face: FaceUnderTest) throws {
        let bridge = try BridgeProcess.start(chargers: Self.simulatedCharger.replacingOccurrences(of: "FACE", with: face.face), count: 1)
        defer { bridge.process.stop() }
        let out = try peer(face, port: bridge.ports[0], ["--scenario", "drive"])
        // the car follows the master: 12 A, a pause, 10 A
        let follow12 = try #require(out["follow_12"] as? [Double])
        #expect(follow12.last == 12 && follow12.allSatisfy { $0 <= 12 }, "\(follow12)")
        #expect((out["follow_pause"] as? [Double])?.last == 0)
        #expect((out["follow_10"] as? [Double])?.last == 10)
        // energy runs
        let before = try #require(out["energy_before"] as? Double), after = try #require(out["energy_after"] as? Double)
        #expect(after > before)
        let sessionBefore = try #require(out["session_energy_before"] as? Double), sessionAfter = try #require(out["session_energy_after"] as? Double)
        #expect(sessionAfter > sessionBefore)
        // bad requests change nothing
        #expect(out["unknown_address_exception"] as? Int == 2)
        #expect(out["out_of_range_exception"] as? Int == 3)
        // silence: the connection closes within the master's timeout + 1 s, then its safe current (8 A)
        let closed = try #require(out["closed_after_s"] as? Double, "the bridge never closed the silent master")
        #expect(closed <= face.timeout + 1)
        #expect((out["after_failsafe"] as? [Double])?.last == 8)
        // a reader does not displace the master; the newest writer does
        #expect(out["reader_kept_master"] as? Bool == true)
        #expect(out["first_closed_by_second"] as? Bool == true)
        #expect((out["second_follow_14"] as? [Double])?.last == 14)
        switch face.face {
        case "bender-cc613":
            #expect(out["ocpp_status"] as? Int == 6)              // Charging
            #expect(out["vehicle_state"] as? Int == 3)            // C
            #expect(out["watchdog_registers"] as? [Int] == [8, 3])
            #expect(out["setpoint_after_bad_write"] as? Int == 10)
        default:
            #expect(out["charging_state"] as? Int == 3)
            #expect(out["cable_state"] as? Int == 7)
            #expect(out["serial"] as? Int == 4711)
            #expect(out["max_supported_ma"] as? Int == 16_000)
            #expect(out["charging_state_paused"] as? Int == 5)
            #expect(out["failsafe_timeout_zero_exception"] as? Int == 3)
            #expect(out["max_current_after_no_limit_ma"] as? Int == 16_000)   // 63000 = "no limit": the maximum
        }
        #expect(bridge.process.text.contains("failsafe entered"))
    }

    /// A brand charger (its emulator speaks the vendor's own table southbound) steered through the
    /// other vendor's face: the master's 10 A lands in the brand's register, silence brings the
    /// failsafe current the master set.
    @Test(arguments: [(FaceUnderTest.bender, "keba-p30"), (FaceUnderTest.keba, "bender-cc613")])
    func anEnergyManagerDrivesABrandCharger(_ face: FaceUnderTest, _ brandMap: String) throws {
        let brand = try #require(BrandTable.all.first { $0.map == brandMap })
        let port = try TestEnvironment.freePort(), north = try TestEnvironment.freePort()
        let emulator = try BrandEmulator(brand, port: port)
        defer { emulator.stopAll() }
        let yaml = """
            modbus: { bind: 127.0.0.1 }
            chargers:
              - id: cp
                driver: modbus
                southbound: { map: \(brand.map), \(emulator.endpoint), unit: \(brand.unit), period_ms: 250, timeout_ms: 500, failsafe_timeout_s: \(brand.timeout) }
                max_current: 16
                failsafe_current: 6
                modbus: { port: \(north), face: \(face.face) }
            """
        let bridge = try BrandDriverTests.startBridge(yaml, north: north)
        defer { bridge.stop() }
        try waitForCurrent(face, port: north, timeout: 15) { $0 == 6 }        // no master yet: the configured failsafe current
        let writesBefore = emulator.events("write").count
        let out = try peer(face, port: north, ["--scenario", "master", "--seconds", "4", "--current", "10"])
        #expect(out["closed"] as? Bool == false)
        #expect((out["samples"] as? [Double])?.last == 10, "\(out)")
        let landed = try emulator.process.waitForEvent("write", after: writesBefore, timeout: 5) {
            $0["address"] as? Int == brand.setpointAddress && $0["values"] as? [Int] == brand.tenAmperes
        }
        #expect(landed["unit"] as? Int == brand.setpointUnit)
        // the master is gone: after its own timeout the safe current it wrote (8 A)
        try waitForCurrent(face, port: north, timeout: face.timeout + 10) { $0 == 8 }
        #expect(bridge.text.contains("failsafe entered"))
    }

    /// An OCPP 1.6J charge point (the Python `ocpp` library) steered through each face: the
    /// master's 10 A becomes the charge point's charging profile and the car follows.
    @Test(arguments: FaceUnderTest.all)
    func anEnergyManagerDrivesAnOCPPChargePoint(_ face: FaceUnderTest) throws {
        let site = try OCPPChargePointTests.startSite(["cp1"], modbusExtra: ", face: \(face.face)")
        defer { site.bridge.stop() }
        let cp = try OCPPChargePointTests.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "0"])
        defer { cp.stop() }
        try cp.waitFor("ready")
        try cp.waitForEvent("profile") { $0["stack"] as? Int == 1 }
        let before = cp.jsonEvents("profile").count
        let out = try peer(face, port: site.north[0], ["--scenario", "master", "--seconds", "4", "--current", "10"])
        #expect(out["closed"] as? Bool == false, "\(out)")
        let profile = try cp.waitForEvent("profile", after: before, timeout: 10) { $0["stack"] as? Int == 1 && $0["limit"] as? Double == 10 }
        #expect(profile["status"] as? String == "Accepted")
        try cp.waitForEvent("limit") { $0["amps"] as? Double == 10 }
        #expect((out["samples"] as? [Double])?.last == 10, "\(out)")
    }

    /// One charger served through three faces: a KEBA master steers, a reader on the EVC08 face
    /// displaces nobody, a Bender writer takes over and the KEBA master's connection is closed.
    @Test func aWriterOnASecondFaceTakesOverTheOneMaster() throws {
        let chargers = """
              - id: cp
                min_current: 6
                max_current: 16
                failsafe_current: 6
                modbus:
                  port: PORT0
                  faces: [{ face: bender-cc613, port: PORT1 }, { face: keba-p30, port: PORT2 }]
                simulation:
                  evs:
                    - { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 80, soc: 0.2 }

            """
        let bridge = try BridgeProcess.start(chargers: chargers, count: 3)
        defer { bridge.process.stop() }
        let (evc08, bender, keba) = (bridge.ports[0], bridge.ports[1], bridge.ports[2])
        #expect(bridge.process.text.contains("cp: Modbus TCP 127.0.0.1:\(bender) (unit 255, any unit accepted), Bender CC613 face"))
        let kebaMaster = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("keba_ems.py"), "--port", "\(keba)",
                                                                         "--scenario", "master", "--seconds", "12", "--current", "10"])
        defer { kebaMaster.stop() }
        try waitForCurrent(.keba, port: keba, timeout: 15) { $0 == 10 }
        // readers on the other faces see it and displace nobody
        #expect(try readRegisters(port: evc08, .holding, address: 5004).first == 10)
        #expect(try readRegisters(port: bender, .holding, address: 1000).first == 10)
        try bridge.process.waitFor("master 127.0.0.1:")
        let benderMaster = try peer(.bender, port: bender, ["--scenario", "master", "--seconds", "4", "--current", "14"])
        #expect(benderMaster["closed"] as? Bool == false)
        #expect((benderMaster["samples"] as? [Double])?.last == 14)
        for _ in 0..<400 where kebaMaster.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        let kebaOut = try parseReading(try #require(kebaMaster.text.split(separator: "\n").last.map(String.init)))
        #expect(kebaOut["closed"] as? Bool == true, "\(kebaOut)")
        #expect(bridge.process.text.contains("(Bender CC613 face); the previous master's socket was closed"))
    }

    /// check-config names every face of every charger and who may write; a bad face is refused
    /// with the line that names it.
    @Test func checkConfigListsEveryFaceAndWhoMayWrite() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let good = folder.appendingPathComponent("good.yaml"), bad = folder.appendingPathComponent("bad.yaml")
        try """
            modbus: { bind: 127.0.0.1, allow_write: [127.0.0.2/32] }
            chargers:
              - id: cp1
                max_current: 16
                modbus: { port: 1502, faces: [{ face: bender-cc613, port: 1503 }, { face: keba-p30, port: 1504 }] }
            """.write(to: good, atomically: true, encoding: .utf8)
        let result = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", good.path, "--while-running"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Vestel EVC04/EVC08 face on Modbus TCP 127.0.0.1:1502, any unit; may write: 127.0.0.2/32"), "\(result.stdout)")
        #expect(result.stdout.contains("Bender CC613 face on Modbus TCP 127.0.0.1:1503, any unit; may write: 127.0.0.2/32"))
        #expect(result.stdout.contains("KEBA P30 face on Modbus TCP 127.0.0.1:1504, any unit; may write: 127.0.0.2/32"))
        try """
            chargers:
              - id: cp1
                max_current: 16
                modbus: { port: 1502, faces: [{ face: schneider, port: 1503 }] }
            """.write(to: bad, atomically: true, encoding: .utf8)
        let refused = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", bad.path, "--while-running"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("bad.yaml:2") && refused.stderr.contains("no face \"schneider\" (shipped: evc08, bender-cc613, keba-p30"),
                "\(refused.stderr)")
    }
}
