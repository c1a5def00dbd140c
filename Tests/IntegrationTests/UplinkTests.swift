import Foundation
import LinkValues
import Modbus
import Testing

/// Chargers forwarded to a CPO backend (the uplink): the backend is a central system built on the
/// Python `ocpp` library (Tests/Peers/ocpp_backend.py) that records every message it gets.
@Suite("CPO uplink", .serialized)
struct UplinkTests {
    static let password = "backend-secret-1"

    /// A backend on `port` (0: a free one); commands go through the file it reads.
    struct Backend {
        let process: ManagedProcess
        let port: Int
        let commands: URL

        /// `tls`: the folder with `server.crt` and `server.key` (wss://).
        init(folder: URL, port: Int = 0, firstTransaction: Int = 1, refuse: [String] = [], tls: URL? = nil) throws {
            commands = folder.appendingPathComponent("backend-\(firstTransaction).commands")
            try Data().write(to: commands)
            let chosen = port == 0 ? try TestEnvironment.freePort() : port
            process = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("ocpp_backend.py"), "--port", "\(chosen)", "--password", UplinkTests.password,
                                                                      "--first-transaction", "\(firstTransaction)", "--commands", commands.path, "--lifetime", "150"]
                                                                     + (refuse.isEmpty ? [] : ["--refuse"] + refuse)
                                                                     + (tls.map { ["--cert", $0.appendingPathComponent("server.crt").path, "--key", $0.appendingPathComponent("server.key").path] } ?? []))
            try process.waitForEvent("listening")
            self.port = chosen
        }

        func send(_ command: [String: Any]) throws {
            let line = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self) + "\n"
            let handle = try FileHandle(forWritingTo: commands)
            defer { try? handle.close() }
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
        }

        /// The CALLs the charge point sent, as [action, payload, time received].
        func calls(_ action: String? = nil) -> [(action: String, payload: [String: Any], t: Double)] {
            process.jsonEvents("message").compactMap { event in
                guard let message = event["message"] as? [Any], message.count == 4, message[0] as? Int == 2, let name = message[2] as? String,
                      action == nil || name == action, let payload = message[3] as? [String: Any] else { return nil }
                return (name, payload, event["t"] as? Double ?? 0)
            }
        }

        @discardableResult
        func waitForCall(_ action: String, timeout: Double = 15, _ accept: ([String: Any]) -> Bool = { _ in true }) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(TestEnvironment.generous(timeout))
            while Date() < deadline {
                if let found = calls(action).first(where: { accept($0.payload) }) { return found.payload }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw TestFailure("the backend got no matching \(action) within \(timeout) s: \(process.text.suffix(2000))")
        }

        func stop() { process.stop() }
    }

    static func bridge(folder: URL, backendPort: Int, north: Int, uplinkExtra: String = "", evs: String = "{ arrive_s: 1, phases: 3, max_current: 16, capacity_kwh: 60, soc: 0.3 }",
                       scheme: String = "ws", password: String = UplinkTests.password, ca: URL? = nil) throws -> ManagedProcess {
        let yaml = """
            modbus: { bind: 127.0.0.1 }
            storage: { data_dir: \(folder.appendingPathComponent("data").path), checkpoint_s: 1 }
            uplink: { url: "\(scheme)://127.0.0.1:\(backendPort)/ocpp", password: \(password)\(ca.map { ", ca: \($0.path)" } ?? "") }
            chargers:
              - id: c1
                max_current: 16
                failsafe_current: 16
                modbus: { port: \(north) }
                simulation: { evs: [\(evs)] }
                uplink: { id: CP-C1, meter_interval_s: 1\(uplinkExtra) }
            """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--log-level", "info"])
        try bridge.waitFor(":\(north)")
        return bridge
    }

    static func profile(limit: Double, id: Int = 5) -> [String: Any] {
        ["chargingProfileId": id, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Relative",
         "chargingSchedule": ["chargingRateUnit": "A", "chargingSchedulePeriod": [["startPeriod": 0, "limit": limit]]]]
    }

    static func meterTimestamp(_ payload: [String: Any]) -> String? {
        ((payload["meterValue"] as? [[String: Any]])?.first?["timestamp"]) as? String
    }

    @Test func bootStatusATransactionAndTheBackendsProfileAsOneMoreCap() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let backend = try Backend(folder: folder)
        defer { backend.stop() }
        let north = try TestEnvironment.freePort()
        let bridge = try Self.bridge(folder: folder, backendPort: backend.port, north: north)
        defer { bridge.stop() }
        let boot = try backend.waitForCall("BootNotification")
        #expect(boot["chargePointSerialNumber"] as? String == "CB-c1")
        #expect(backend.process.jsonEvents("connected").first?["cp"] as? String == "CP-C1")
        try backend.waitForCall("StatusNotification") { $0["status"] as? String == "Available" }
        let start = try backend.waitForCall("StartTransaction")
        #expect(start["idTag"] as? String == "chargebridge")
        try backend.waitForCall("StatusNotification") { $0["status"] as? String == "Charging" }
        let values = try backend.waitForCall("MeterValues") { $0["transactionId"] as? Int == 1 }
        let sampled = ((values["meterValue"] as? [[String: Any]])?.first?["sampledValue"] as? [[String: Any]]) ?? []
        #expect(Set(sampled.compactMap { $0["measurand"] as? String }) == ["Current.Import", "Power.Active.Import", "Energy.Active.Import.Register"])
        // no energy manager yet: the failsafe 16 A; the backend's 10 A caps it
        try waitForRegister(port: north, address: 1008, timeout: 10) { $0 == 16_000 }
        try backend.send(["cmd": "set_profile", "cp": "CP-C1", "connector_id": 1, "profile": Self.profile(limit: 10)])
        let answer = try backend.process.waitForEvent("answer") { $0["cmd"] as? String == "set_profile" }
        #expect((answer["payload"] as? [String: Any])?["status"] as? String == "Accepted")
        try waitForRegister(port: north, address: 1008, timeout: 5) { $0 == 10_000 }
        // a lower local limit still wins: an energy manager asks for 8 A
        let ems = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: north), unit: 255)
        defer { ems.close() }
        try ems.write(address: 2002, registers: [60])
        try ems.write(address: 5004, registers: [8])
        try ems.write(address: 6000, registers: [1])
        try waitForRegister(port: north, address: 1008, timeout: 5) { $0 == 8_000 }
        // the backend raises its limit above the charger's maximum: the EMS's 16 A, never more
        try backend.send(["cmd": "set_profile", "cp": "CP-C1", "connector_id": 1, "profile": Self.profile(limit: 32)])
        try ems.write(address: 5004, registers: [16])
        try waitForRegister(port: north, address: 1008, timeout: 5) { $0 == 16_000 }
        // an invalid profile is rejected and changes nothing
        var bad = Self.profile(limit: 6, id: 9)
        bad["chargingSchedule"] = ["chargingRateUnit": "A", "chargingSchedulePeriod": [["startPeriod": 30, "limit": 6]]]
        try backend.send(["cmd": "set_profile", "cp": "CP-C1", "connector_id": 1, "profile": bad])
        let refused = try backend.process.waitForEvent("answer") { $0["cmd"] as? String == "set_profile" && ($0["payload"] as? [String: Any])?["status"] as? String == "Rejected" }
        #expect(refused["error"] == nil)
        Thread.sleep(forTimeInterval: 1)
        #expect(try readRegisters(port: north, address: 1008) == [16_000])
    }

    @Test func aRemoteStartStartsAChargerThatWaitsForOne() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let backend = try Backend(folder: folder)
        defer { backend.stop() }
        let north = try TestEnvironment.freePort()
        let bridge = try Self.bridge(folder: folder, backendPort: backend.port, north: north, uplinkExtra: ", autostart: false")
        defer { bridge.stop() }
        try backend.waitForCall("StatusNotification") { $0["status"] as? String == "SuspendedEVSE" || $0["status"] as? String == "Preparing" }
        try waitForRegister(port: north, address: 1004, timeout: 10) { $0 >= 2 }   // plugged
        Thread.sleep(forTimeInterval: 1)
        #expect(try readRegisters(port: north, address: 1008) == [0])             // held: nobody started it
        #expect(backend.calls("StartTransaction").isEmpty)
        try backend.send(["cmd": "remote_start", "cp": "CP-C1", "id_tag": "REMOTE-7"])
        let answer = try backend.process.waitForEvent("answer") { $0["cmd"] as? String == "remote_start" }
        #expect((answer["payload"] as? [String: Any])?["status"] as? String == "Accepted")
        #expect(try backend.waitForCall("StartTransaction")["idTag"] as? String == "REMOTE-7")
        try waitForRegister(port: north, address: 1008, timeout: 5) { $0 == 16_000 }
    }

    /// `backend` mode: an OCPP charge point behind the bridge gets the backend's answer to its
    /// Authorize, and the offline rule's while the backend is away; the backend's Reset reaches it.
    @Test func anOCPPChargePointsTagsAreAnsweredByTheBackend() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let backend = try Backend(folder: folder, refuse: ["BAD1"])
        defer { backend.stop() }
        // offline accept_all: a refusal can only come from the backend
        let extra = """
            uplink: { url: "ws://127.0.0.1:\(backend.port)/ocpp", password: \(Self.password) }
            authorization: { mode: backend, offline: accept_all }
            """
        let site = try OCPPChargePointTests.startSite(["cp1", "cp2"], extra: extra, chargerExtra: ", uplink: { meter_interval_s: 1 }")
        defer { site.bridge.stop() }
        try backend.waitForCall("BootNotification")
        let good = try OCPPChargePointTests.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "1", "--id-tag", "GOOD1"])
        defer { good.stop() }
        let bad = try OCPPChargePointTests.chargePoint("cp2", port: site.ocppPort, ["--plug-at", "1", "--id-tag", "BAD1"])
        defer { bad.stop() }
        #expect(try bad.waitForEvent("authorize", timeout: 15)["status"] as? String == "Invalid")
        #expect(try good.waitForEvent("authorize", timeout: 15)["status"] as? String == "Accepted")
        #expect(try good.waitForEvent("transaction", timeout: 10)["status"] as? String == "Accepted")
        // the uplink forwards the transaction with the tag the backend accepted, without asking again
        #expect(try backend.waitForCall("StartTransaction") { $0["idTag"] as? String == "GOOD1" }["idTag"] as? String == "GOOD1")
        let asked = backend.process.jsonEvents("message").compactMap { event -> String? in
            guard let message = event["message"] as? [Any], message.count == 4, message[2] as? String == "Authorize" else { return nil }
            return "\(event["cp"] ?? "?")/\((message[3] as? [String: Any])?["idTag"] ?? "?")"
        }
        #expect(asked.sorted() == ["cp1/GOOD1", "cp2/BAD1"], "\(asked)")
        #expect(bad.jsonEvents("transaction").isEmpty)
        // the backend's Reset reaches the OCPP charge point
        try backend.send(["cmd": "reset", "cp": "cp1", "type": "Hard"])
        let reset = try backend.process.waitForEvent("answer") { $0["cmd"] as? String == "reset" }
        #expect((reset["payload"] as? [String: Any])?["status"] as? String == "Accepted", "\(reset)")
        #expect(try good.waitForEvent("reset", timeout: 10)["type"] as? String == "Hard")
        // the backend goes away: a new tag is decided by the offline rule, at once
        backend.stop()
        try site.bridge.waitFor("lost; transaction messages are kept", timeout: .seconds(15))
        bad.stop()
        let offline = try OCPPChargePointTests.chargePoint("cp2", port: site.ocppPort, ["--plug-at", "1", "--id-tag", "NEW1"])
        defer { offline.stop() }
        #expect(try offline.waitForEvent("authorize", timeout: 15)["status"] as? String == "Accepted")
        try site.bridge.waitFor("backend unreachable, offline accept_all")
    }

    /// wss:// to a backend whose certificate the configured `ca:` signed; a bridge trusting another
    /// CA, or giving a wrong password, is refused, says why, and sends nothing.
    @Test func aBackendOnWssIsReachedThroughItsCAAndNotOtherwise() throws {
        let certificates = try TestEnvironment.temporaryFolder()
        try Certificates.generate(in: certificates)
        try Certificates.authority("other", in: certificates)
        let backend = try Backend(folder: certificates, tls: certificates)
        defer { backend.stop() }
        let ca = certificates.appendingPathComponent("ca.crt"), other = certificates.appendingPathComponent("other.crt")
        let good = try Self.bridge(folder: try TestEnvironment.temporaryFolder(), backendPort: backend.port, north: try TestEnvironment.freePort(),
                                   scheme: "wss", ca: ca)
        defer { good.stop() }
        try backend.waitForCall("BootNotification")
        let untrusting = try Self.bridge(folder: try TestEnvironment.temporaryFolder(), backendPort: backend.port, north: try TestEnvironment.freePort(),
                                         scheme: "wss", ca: other)
        defer { untrusting.stop() }
        try untrusting.waitFor("failed")
        #expect(untrusting.text.contains("CERTIFICATE_VERIFY_FAILED") || untrusting.text.contains("certificate"), "\(untrusting.text.suffix(800))")
        let wrong = try Self.bridge(folder: try TestEnvironment.temporaryFolder(), backendPort: backend.port, north: try TestEnvironment.freePort(),
                                    scheme: "wss", password: "not-the-password", ca: ca)
        defer { wrong.stop() }
        try wrong.waitFor("refused the connection: HTTP 401")
        #expect(untrusting.text.contains("wss://127.0.0.1:\(backend.port)/ocpp"), "\(untrusting.text.suffix(1500))")
        // a certificate of the right CA but for another name than the address: refused too
        let elsewhere = try TestEnvironment.temporaryFolder()
        for file in ["ca.crt", "ca.key"] { try FileManager.default.copyItem(at: certificates.appendingPathComponent(file), to: elsewhere.appendingPathComponent(file)) }
        try Certificates.issue("server", subject: "/CN=elsewhere.example", by: "ca", in: elsewhere, extensions: "subjectAltName=DNS:elsewhere.example")
        let impostor = try Backend(folder: elsewhere, tls: elsewhere)
        defer { impostor.stop() }
        let misled = try Self.bridge(folder: try TestEnvironment.temporaryFolder(), backendPort: impostor.port, north: try TestEnvironment.freePort(),
                                     scheme: "wss", ca: ca)
        defer { misled.stop() }
        try misled.waitFor("failed")
        #expect(misled.text.contains("CERTIFICATE_VERIFY_FAILED") || misled.text.contains("certificate"), "\(misled.text.suffix(800))")
        #expect(impostor.process.jsonEvents("connected").isEmpty)
        // only the bridge that trusts the right CA and knows the password got through
        #expect(backend.process.jsonEvents("connected").count == 1, "\(backend.process.text.suffix(1500))")
        #expect(backend.calls("BootNotification").count == 1)
        #expect(backend.process.jsonEvents("refused").first?["status"] as? Int == 401)
    }

    @Test func anOutageAndAKilledBridgeLoseNoMeterValues() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let first = try Backend(folder: folder)
        let north = try TestEnvironment.freePort()
        var bridge = try Self.bridge(folder: folder, backendPort: first.port, north: north, evs: "{ arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 60, soc: 0.3 }")
        defer { bridge.stop() }
        try first.waitForCall("StartTransaction")
        try first.waitForCall("MeterValues") { $0["transactionId"] as? Int == 1 }
        // the backend goes away during the transaction
        first.stop()
        let outage = Date()
        Thread.sleep(forTimeInterval: 4)
        // kill -9 of the bridge while the backend is away, and a restart
        bridge.child.signal(SIGKILL)
        bridge.child.waitUntilExit()
        bridge = try Self.bridge(folder: folder, backendPort: first.port, north: north, evs: "{ arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 60, soc: 0.3 }")
        try bridge.waitFor("kept from the last run")
        Thread.sleep(forTimeInterval: 3)
        let second = try Backend(folder: folder, port: first.port, firstTransaction: 100)
        defer { second.stop() }
        try second.waitForCall("BootNotification", timeout: 40)
        // what was kept arrives in order, still in transaction 1; the transaction goes on
        let kept = Date().timeIntervalSince(outage)
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(20))
        while second.calls("MeterValues").count < Int(kept) - 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let before = first.calls("MeterValues").compactMap { Self.meterTimestamp($0.payload) }
        let after = second.calls("MeterValues").map(\.payload)
        #expect(after.allSatisfy { $0["transactionId"] as? Int == 1 }, "\(after)")
        #expect(second.calls("StartTransaction").isEmpty)
        let stamps = before + after.compactMap(Self.meterTimestamp)
        #expect(stamps == stamps.sorted(), "out of order: \(stamps)")
        #expect(Set(stamps).count == stamps.count, "delivered twice: \(stamps)")
        // one reading a second except across the bridge's own restart (about 1 s dead)
        let times = stamps.compactMap { ISO8601DateFormatter.withFractions.date(from: $0)?.timeIntervalSince1970 }
        let gaps = zip(times, times.dropFirst()).map { $1 - $0 }.filter { $0 > 1.6 }
        #expect(gaps.count <= 1, "readings missing: gaps \(gaps) in \(stamps)")
        #expect(after.count >= Int(kept) - 3, "only \(after.count) readings after \(kept) s")
    }
}

extension ISO8601DateFormatter {
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
