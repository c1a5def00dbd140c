import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Testing

/// An SMA-Sunny-Home-Manager-like energy manager (Tests/Peers/semp_ems.py, written from the public
/// SEMP description) finds the bridge by SSDP and steers a simulated and a brand charger through
/// the SEMP face; one master across SEMP and Modbus; silence brings the failsafe current.
@Suite("SEMP face", .serialized)
struct SEMPFaceTests {
    struct Site {
        let bridge: ManagedProcess
        let ssdp: Int
        let evc08: Int
    }

    func start(extraCharger: String = "", semp: String = "timeout_s: 5") throws -> Site {
        let http = try TestEnvironment.freePort(), ssdp = try TestEnvironment.freePort(), evc08 = try TestEnvironment.freePort()
        let yaml = """
            site: { name: semp-test }
            modbus: { bind: 127.0.0.1 }
            semp: { port: \(http), ssdp_port: \(ssdp), \(semp) }
            chargers:
              - id: cp
                name: Garage
                max_current: 16
                failsafe_current: 6
                modbus: { port: \(evc08) }
                simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 80, soc: 0.2 } ] }
            \(extraCharger)
            """
        let bridge = try BridgeProcess.run(yaml, waitingFor: ["SEMP listening on http://127.0.0.1:\(http)/semp", ":\(evc08)"])
        return Site(bridge: bridge, ssdp: ssdp, evc08: evc08)
    }

    func peer(_ site: Site, _ arguments: [String]) throws -> [String: Any] {
        let result = try runCommand(try TestEnvironment.python, [TestEnvironment.peer("semp_ems.py"), "--ssdp-port", "\(site.ssdp)"] + arguments,
                                    timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        return try parseReading(result.stdout)
    }

    func device(_ site: Site, named name: String) throws -> [String: Any] {
        let devices = try #require(try peer(site, ["devices"])["devices"] as? [[String: Any]])
        return try #require(devices.first { $0["name"] as? String == name }, "\(devices)")
    }

    @Test func aHomeManagerSteersASimulatedChargerAndSilenceBringsTheFailsafeCurrent() throws {
        let site = try start()
        defer { site.bridge.stop() }
        let garage = try device(site, named: "Garage")
        let id = try #require(garage["id"] as? String)
        #expect(garage["max"] as? Int == 16 * 230 * 3 && garage["min"] as? Int == 6 * 230 * 3, "\(garage)")
        #expect((garage["planning"] as? [Any])?.isEmpty == false, "a plugged car asks for energy: \(garage)")
        // 10 A on three phases: 6900 W
        #expect(try peer(site, ["control", "--device", id, "--on", "true", "--power", "6900"])["status"] as? Int == 200)
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 10_000 }
        try site.bridge.waitFor("(SEMP)")
        // On = false pauses; a power below the least the charger can draw pauses too
        #expect(try peer(site, ["control", "--device", id, "--on", "false"])["status"] as? Int == 200)
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 0 }
        #expect(try peer(site, ["control", "--device", id, "--on", "true", "--power", "9000"])["status"] as? Int == 200)
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 13_000 }
        #expect(try peer(site, ["control", "--device", id, "--on", "true", "--power", "1000"])["status"] as? Int == 200)
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 0 }
        // an unknown device and bad XML are refused with a reason
        let unknown = try peer(site, ["control", "--device", "F-00000000-000000000000-00", "--on", "true", "--power", "6900"])
        #expect(unknown["status"] as? Int == 400 && (unknown["body"] as? String)?.contains("no device") == true, "\(unknown)")
        // silence for the SEMP timeout (5 s here): the failsafe current, 6 A
        #expect(try peer(site, ["control", "--device", id, "--on", "true", "--power", "6900"])["status"] as? Int == 200)
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 10_000 }
        try waitForRegister(port: site.evc08, address: 1008, timeout: 15) { $0 == 6_000 }
        try site.bridge.waitFor("failsafe entered")
    }

    @Test func oneMasterAcrossSEMPAndModbus() throws {
        let site = try start(semp: "timeout_s: 30")
        defer { site.bridge.stop() }
        let id = try #require(try device(site, named: "Garage")["id"] as? String)
        // a Modbus master steers the charger at 12 A
        let ems = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: site.evc08), unit: 255)
        defer { ems.close() }
        try ems.write(address: 2002, registers: [60])
        try ems.write(address: 5004, registers: [12])
        try ems.write(address: 6000, registers: [1])
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 12_000 }
        // the Home Manager takes over: its 10 A, and the Modbus master's socket is closed
        #expect(try peer(site, ["control", "--device", id, "--on", "true", "--power", "6900"])["status"] as? Int == 200)
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 10_000 }
        try site.bridge.waitFor("replaced by a newer master on another face")
        #expect(throws: ModbusError.self) {
            for _ in 0..<20 {
                try ems.write(address: 6000, registers: [1])
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        // a new Modbus writer takes over from the Home Manager (the newest wins)
        let next = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: site.evc08), unit: 255)
        defer { next.close() }
        try next.write(address: 5004, registers: [14])
        try next.write(address: 6000, registers: [1])
        try waitForRegister(port: site.evc08, address: 1008) { $0 == 14_000 }
    }

    @Test func aHomeManagerSteersABrandChargerAndAllowWriteApplies() throws {
        let brand = try #require(BrandTable.all.first { $0.map == "keba-p30" })
        let port = try TestEnvironment.freePort(), north = try TestEnvironment.freePort()
        let emulator = try BrandEmulator(brand, port: port)
        defer { emulator.stopAll() }
        let site = try start(extraCharger: """
              - id: keba
                name: KEBA
                driver: modbus
                southbound: { map: \(brand.map), \(emulator.endpoint), unit: \(brand.unit), period_ms: 250, timeout_ms: 500, failsafe_timeout_s: \(brand.timeout) }
                max_current: 16
                failsafe_current: 6
                modbus: { port: \(north) }
            """)
        defer { site.bridge.stop() }
        let id = try #require(try device(site, named: "KEBA")["id"] as? String)
        let writesBefore = emulator.events("write").count
        #expect(try peer(site, ["control", "--device", id, "--on", "true", "--power", "6900"])["status"] as? Int == 200)
        _ = try emulator.process.waitForEvent("write", after: writesBefore, timeout: 10) {
            $0["address"] as? Int == brand.setpointAddress && $0["values"] as? [Int] == brand.tenAmperes
        }

        // allow_write names only 127.0.0.2: the Home Manager on 127.0.0.1 is refused (403)
        let guarded = try start(semp: "timeout_s: 30, allow_write: [127.0.0.2/32]")
        defer { guarded.bridge.stop() }
        let guardedID = try #require(try device(guarded, named: "Garage")["id"] as? String)
        let refused = try peer(guarded, ["control", "--device", guardedID, "--on", "true", "--power", "6900"])
        #expect(refused["status"] as? Int == 403, "\(refused)")
        try guarded.bridge.waitFor("SEMP control from 127.0.0.1")
    }

    /// An OCPP 1.6J charge point behind the SEMP face: the Home Manager's 6900 W become a 10 A profile.
    @Test func aHomeManagerSteersAnOCPPChargePoint() throws {
        let http = try TestEnvironment.freePort(), ssdp = try TestEnvironment.freePort()
        let ocpp = try OCPPChargePointTests.startSite(["cp1"], extra: "semp: { port: \(http), ssdp_port: \(ssdp), timeout_s: 30 }")
        defer { ocpp.bridge.stop() }
        try ocpp.bridge.waitFor("SEMP listening")
        let cp = try OCPPChargePointTests.chargePoint("cp1", port: ocpp.ocppPort, ["--plug-at", "0"])
        defer { cp.stop() }
        try cp.waitFor("ready")
        try cp.waitForEvent("profile") { $0["stack"] as? Int == 1 }
        let site = Site(bridge: ocpp.bridge, ssdp: ssdp, evc08: ocpp.north[0])
        let id = try #require(try device(site, named: "cp1")["id"] as? String)
        let before = cp.jsonEvents("profile").count
        #expect(try peer(site, ["control", "--device", id, "--on", "true", "--power", "6900"])["status"] as? Int == 200)
        let profile = try cp.waitForEvent("profile", after: before, timeout: 10) { $0["stack"] as? Int == 1 && $0["limit"] as? Double == 10 }
        #expect(profile["status"] as? String == "Accepted")
        try cp.waitForEvent("limit") { $0["amps"] as? Double == 10 }
    }
}
