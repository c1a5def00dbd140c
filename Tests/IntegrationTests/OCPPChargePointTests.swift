import Foundation
import LinkValues
import Modbus
import Testing

/// OCPP 1.6J charge points built on the Python `ocpp` library (Tests/Peers/ocpp_charge_point.py,
/// which enforces profile validity and stacking as OCPP 1.6 §3.13 prescribes) behind the bridge's
/// central system, seen by an energy manager on the EVC08 face and on MQTT.
@Suite("OCPP charge points", .serialized)
struct OCPPChargePointTests {
    static let password = "cp-secret-123"

    struct Site {
        let bridge: ManagedProcess
        let ocppPort: Int
        let north: [Int]
        let file: URL
        let folder: URL
    }

    /// `chargers`: charge point ids; `extra`: more top-level YAML; `credentials`: a charger's
    /// `ocpp:` fields that say who it is (by id; the password by default); `ocppVersion`: each
    /// charger's `ocpp.version`. `shell`: run before the bridge in its shell (`ulimit -n 64`).
    static func startSite(_ ids: [String], validity: Int = 6, ocppExtra: String = "", extra: String = "", chargerExtra: String = "",
                          modbusExtra: String = "", credentials: [String: String] = [:], existing: (Int, [Int], URL)? = nil,
                          shell: String? = nil, ocppVersion: String? = nil) throws -> Site {
        let folder = try existing.map { $0.2.deletingLastPathComponent() } ?? TestEnvironment.temporaryFolder()
        let ocppPort = try existing?.0 ?? TestEnvironment.freePort()
        let north = try existing?.1 ?? ids.map { _ in try TestEnvironment.freePort() }
        let chargers = zip(ids, north).map { id, port in
            "  - { id: \(id), driver: ocpp, ocpp: { \(credentials[id] ?? "password: \(password)"), validity_s: \(validity), meter_interval_s: 1\(ocppVersion.map { ", version: \"\($0)\"" } ?? "") }, max_current: 16, failsafe_current: 8, modbus: { port: \(port)\(modbusExtra) }\(chargerExtra) }"
        }
        let yaml = """
            modbus: { bind: 127.0.0.1 }
            ocpp: { bind: 127.0.0.1, port: \(ocppPort), heartbeat_s: 10\(ocppExtra) }
            storage: { data_dir: \(folder.appendingPathComponent("data").path), checkpoint_s: 1 }
            \(extra)
            chargers:
            \(chargers.joined(separator: "\n"))
            """
        let file = existing?.2 ?? folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let command = "\(shell.map { "\($0); " } ?? "")exec \(try TestEnvironment.chargebridge) run --config \(file.path) --log-level info"
        let bridge = try ManagedProcess("/bin/sh", ["-c", command])
        try bridge.waitFor("OCPP central system listening")
        for port in north { try bridge.waitFor(":\(port)") }
        return Site(bridge: bridge, ocppPort: ocppPort, north: north, file: file, folder: folder)
    }

    static func chargePoint(_ id: String, port: Int, scheme: String = "ws", password: String? = OCPPChargePointTests.password,
                            _ arguments: [String] = []) throws -> ManagedProcess {
        var all = [TestEnvironment.peer("ocpp_charge_point.py"), "--url", "\(scheme)://127.0.0.1:\(port)/ocpp/\(id)", "--lifetime", "90",
                   "--meter-interval", "1"] + arguments
        if let password { all += ["--password", password] }
        return try ManagedProcess(try TestEnvironment.python, all)
    }

    static func ems(_ north: Int, _ writes: [(Int, UInt16)]) throws {
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: north), unit: 255)
        defer { client.close() }
        for (address, value) in writes { try client.write(address: address, registers: [value]) }
    }

    @Test func bootStatusMeterValuesAndATransactionReachTheEVC08FaceAndTheSessions() throws {
        let site = try Self.startSite(["cp1"])
        defer { site.bridge.stop() }
        let cp = try Self.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "1", "--unplug-at", "9", "--id-tag", "CARD42", "--ev-max-a", "32"])
        defer { cp.stop() }
        try cp.waitFor("ready")
        // the failsafe profile at stack level 0, then the dynamic one above it, valid for 6 s
        let failsafe = try cp.waitForEvent("profile") { $0["stack"] as? Int == 0 }
        #expect(failsafe["limit"] as? Double == 8 && failsafe["valid_to"] is NSNull)
        try cp.waitForEvent("profile") { $0["stack"] as? Int == 1 && $0["valid_to"] as? String != nil }
        // status, current and the id tag on the EVC08 face: charging at the failsafe 8 A (no EMS yet)
        try waitForRegister(port: site.north[0], address: 1000, timeout: 15) { $0 == 2 }
        try waitForRegister(port: site.north[0], address: 1008) { $0 == 8_000 }
        let tag = try readRegisters(port: site.north[0], address: 1516, count: 15)
        #expect(String(decoding: tag.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }.filter { $0 != 0 }, as: UTF8.self) == "CARD42")
        // the car leaves: the transaction is a session with its id tag and energy
        try cp.waitForEvent("stopped", timeout: 15)
        try waitForRegister(port: site.north[0], address: 1000, timeout: 10) { $0 == 0 }
        Thread.sleep(forTimeInterval: 2)
        let sessions = try runCommand(try TestEnvironment.chargebridge, ["sessions", "--database", site.folder.appendingPathComponent("data/chargebridge.sqlite").path, "--csv"])
        #expect(sessions.status == 0, "\(sessions.stderr)")
        let row = try #require(sessions.stdout.split(separator: "\n").first { $0.contains("CARD42") }, "\(sessions.stdout)")
        #expect(row.hasPrefix("cp1,"))
        #expect(site.bridge.text.contains("boot: "))
    }

    @Test func anEnergyManagersWriteIsAProfileWithinASecondAndADeadBridgeFallsBack() throws {
        var site = try Self.startSite(["cp1"])
        defer { site.bridge.stop() }
        let cp = try Self.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "0"])
        defer { cp.stop() }
        try cp.waitFor("ready")
        try cp.waitForEvent("profile") { $0["stack"] as? Int == 1 }
        // the EMS asks for 10 A: the dynamic profile carries it within 1 s, the car follows
        let before = cp.jsonEvents("profile").count
        let asked = Date()
        try Self.ems(site.north[0], [(2002, 60), (5004, 10), (6000, 1)])
        let profile = try cp.waitForEvent("profile", after: before, timeout: 5) { $0["stack"] as? Int == 1 && $0["limit"] as? Double == 10 }
        #expect(Date().timeIntervalSince(asked) < 1.0 + TestEnvironment.patience, "took \(Date().timeIntervalSince(asked)) s")
        #expect(profile["status"] as? String == "Accepted")
        try cp.waitForEvent("limit") { $0["amps"] as? Double == 10 }
        try waitForRegister(port: site.north[0], address: 1008, timeout: 5) { $0 == 10_000 }
        // kill -9: the dynamic profile runs out and the charge point falls back to stack 0 by itself
        let limitsBefore = cp.jsonEvents("limit").count
        site.bridge.child.signal(SIGKILL)
        let killed = Date()
        try cp.waitForEvent("limit", after: limitsBefore, timeout: 15) { $0["amps"] as? Double == 8 }
        #expect(Date().timeIntervalSince(killed) <= 6 + 1.5 + TestEnvironment.patience)
        // restart: it reconnects and both profiles are set again
        let profilesBefore = cp.jsonEvents("profile").count
        site = try Self.startSite(["cp1"], existing: (site.ocppPort, site.north, site.file))
        try cp.waitForEvent("profile", after: profilesBefore, timeout: 20) { $0["stack"] as? Int == 0 }
        try cp.waitForEvent("profile", after: profilesBefore, timeout: 10) { $0["stack"] as? Int == 1 }
        #expect(cp.jsonEvents("connected").count >= 2)
        try waitForRegister(port: site.north[0], address: 1002, timeout: 10) { $0 == 1 }     // online again
    }

    @Test func passwordsUnknownIdsAndTLS() throws {
        let folder = try TestEnvironment.temporaryFolder()
        try Certificates.generate(in: folder)
        let tls = ", tls: { certificate: \(folder.appendingPathComponent("server.crt").path), key: \(folder.appendingPathComponent("server.key").path) }"
        let site = try Self.startSite(["cp1"], ocppExtra: tls)
        defer { site.bridge.stop() }
        // security profile 2: TLS and basic auth
        let good = try Self.chargePoint("cp1", port: site.ocppPort, scheme: "wss", ["--cafile", folder.appendingPathComponent("ca.crt").path, "--plug-at", "-1"])
        defer { good.stop() }
        try good.waitFor("ready")
        #expect(site.bridge.text.contains("listening on wss://"))
        // a wrong password, an unknown id: refused at the upgrade (slowed down), logged once a minute per kind
        let wrong = try Self.chargePoint("cp1", port: site.ocppPort, scheme: "wss", password: "not-the-one",
                                         ["--cafile", folder.appendingPathComponent("ca.crt").path, "--reconnect-s", "0.3"])
        defer { wrong.stop() }
        let unknown = try Self.chargePoint("stranger", port: site.ocppPort, scheme: "wss", ["--cafile", folder.appendingPathComponent("ca.crt").path])
        defer { unknown.stop() }
        #expect(try wrong.waitForEvent("refused")["status"] as? Int == 401)
        #expect(try unknown.waitForEvent("refused")["status"] as? Int == 404)
        try wrong.waitForEvent("refused", after: 3)       // it keeps trying…
        #expect(site.bridge.text.components(separatedBy: "refused: wrong password").count == 2, "…logged once")
        // plain ws to the TLS port does not get in
        let plain = try Self.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "-1"])
        defer { plain.stop() }
        try plain.waitForEvent("connect_error")
        #expect(good.jsonEvents("closed").isEmpty, "the good charge point stayed connected")
    }

    /// Tests/Peers/ocpp_guesser.py: upgrades that guess ids or passwords; its counts of answers.
    static func guess(_ port: Int, _ arguments: [String]) throws -> (statuses: [String: Int], attempts: Int, timeouts: Int) {
        let result = try runCommand(try TestEnvironment.python, [TestEnvironment.peer("ocpp_guesser.py"), "--url", "ws://127.0.0.1:\(port)/ocpp"] + arguments,
                                    timeout: .seconds(60))
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let statuses = object["statuses"] as? [String: Int], let attempts = object["attempts"] as? Int, let timeouts = object["timeouts"] as? Int else {
            throw TestFailure("ocpp_guesser.py \(arguments): \(result.stdout) \(result.stderr)")
        }
        print("ocpp_guesser.py \(arguments.joined(separator: " ")): \(result.stdout)", terminator: "")
        return (statuses, attempts, timeouts)
    }

    @Test func guessingIdsAndPasswordsIsSlowedPerSourceAndLoggedInAFewLines() throws {
        let site = try Self.startSite(["cp1"])
        defer { site.bridge.stop() }
        // 1 000 unknown ids from 127.0.0.1 and 1 000 wrong passwords from 127.0.0.2, 50 at a time,
        // each given up after 1 s: only a few are looked at, the rest wait or are turned away (429)
        let ids = try Self.guess(site.ocppPort, ["--id", "stranger", "--unknown-ids", "--count", "1000", "--parallel", "50", "--timeout", "1"])
        let passwords = try Self.guess(site.ocppPort, ["--id", "cp1", "--wrong-passwords", "--source", "127.0.0.2",
                                                       "--count", "1000", "--parallel", "50", "--timeout", "1"])
        #expect(ids.attempts == 1_000 && passwords.attempts == 1_000)
        #expect((ids.statuses["404"] ?? 0) <= 10, "\(ids)")
        #expect((passwords.statuses["401"] ?? 0) <= 10, "\(passwords)")
        #expect((ids.statuses["429"] ?? 0) >= 900 && (passwords.statuses["429"] ?? 0) >= 900, "\(ids) \(passwords)")
        #expect(ids.statuses["101"] == nil && passwords.statuses["101"] == nil)
        // one after the other, as fast as it is answered, from a fresh source: slowed from the first refusal
        let sequential = try Self.guess(site.ocppPort, ["--id", "cp1", "--wrong-passwords", "--source", "127.0.0.3", "--seconds", "4", "--timeout", "15"])
        #expect((sequential.statuses["401"] ?? 0) >= 2 && sequential.attempts <= 10, "\(sequential)")
        // another address is not slowed: the right password gets in at once
        let good = try Self.guess(site.ocppPort, ["--id", "cp1", "--password", Self.password, "--source", "127.0.0.4", "--count", "1", "--timeout", "15"])
        #expect(good.statuses == ["101": 1], "\(good)")
        let lines = site.bridge.text.split(separator: "\n").filter { $0.contains("OCPP connection from") }
        #expect(lines.count <= 5, "\(lines.count) log lines:\n\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("unknown charge point id") } && lines.contains { $0.contains("wrong password") })
    }

    @Test func runningOutOfFileDescriptorsDoesNotSpinACore() throws {
        let site = try Self.startSite(["cp1"], shell: "ulimit -n 64")
        defer { site.bridge.stop() }
        let (busy, hold) = try site.bridge.cpuShareOutOfDescriptors(port: site.ocppPort, marker: "OCPP central system cannot accept connections")
        defer { hold.stop() }
        print("OCPP central system out of file descriptors: \(Int(busy * 1000)) ‰ of a core")
        #expect(busy <= 0.05, "the bridge used \(Int(busy * 100)) % of a core while out of descriptors")
        #expect(site.bridge.text.components(separatedBy: "cannot accept connections").count == 2, "logged once")
        // the held connections go: a charge point gets in again
        hold.stop()
        let cp = try Self.chargePoint("cp1", port: site.ocppPort)
        defer { cp.stop() }
        try cp.waitFor("ready", timeout: .seconds(30))
    }

    @Test func badFramesOversizedFramesAndUnknownActionsChangeNothing() throws {
        let site = try Self.startSite(["cp1"])
        defer { site.bridge.stop() }
        let frames = try TestEnvironment.temporaryFolder().appendingPathComponent("frames.txt")
        try """
            [2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]
            {this is not json
            [2,"x1","FlyToTheMoon",{}]
            [2,"x2","StatusNotification",{"connectorId":"one","errorCode":"NoError","status":"Charging"}]
            [2,"x3","StatusNotification",{"connectorId":1,"errorCode":"NoError"}]
            [2,"x4","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Flying"}]
            [2,"x5","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-12-02T00:00:00Z","sampledValue":[{"value":"NaN","measurand":"Current.Import","phase":"L1","unit":"A"}]}]}]
            [2,"x6","Heartbeat",{}]
            """.write(to: frames, atomically: true, encoding: .utf8)
        let raw = try runCommand(try TestEnvironment.python, [TestEnvironment.peer("ocpp_raw_client.py"), "--url", "ws://127.0.0.1:\(site.ocppPort)/ocpp/cp1",
                                                               "--password", Self.password, "--frames", frames.path, "--wait", "2"], timeout: .seconds(60))
        let replies = raw.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(replies.count == 8, "\(raw.stdout) \(raw.stderr)")
        func reply(_ index: Int) -> [Any] {
            guard index < replies.count, let text = replies[index]["reply"] as? String,
                  let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any] else { return [] }
            return array
        }
        #expect(reply(0).first as? Int == 3)
        #expect(reply(1).count == 5 && reply(1)[2] as? String == "FormationViolation")
        #expect(reply(2).count == 5 && reply(2)[2] as? String == "NotImplemented")
        #expect(reply(3).count == 5 && reply(3)[2] as? String == "TypeConstraintViolation")
        #expect(reply(4).count == 5 && reply(4)[2] as? String == "OccurenceConstraintViolation")
        #expect(reply(5).count == 5 && reply(5)[2] as? String == "PropertyConstraintViolation")
        #expect(reply(6).first as? Int == 3)           // accepted; the NaN is left out
        #expect(reply(7).first as? Int == 3)           // still talking
        // nothing changed: no status was taken from the bad frames
        #expect(try readRegisters(port: site.north[0], address: 1000).first != 2)
        #expect(try readRegisters(port: site.north[0], address: 1008).first == 0)
        // a frame above 64 KiB closes the connection
        let big = try runCommand(try TestEnvironment.python, [TestEnvironment.peer("ocpp_raw_client.py"), "--url", "ws://127.0.0.1:\(site.ocppPort)/ocpp/cp1",
                                                               "--password", Self.password, "--frames", frames.path, "--oversize", "70000", "--wait", "2"],
                                 timeout: .seconds(60))
        #expect(big.stdout.contains("1009"), "\(big.stdout)")
    }

    @Test func mqttEnableAndForceBecomeAvailabilityAndRemoteTransactions() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let site = try Self.startSite(["cp1"], extra: "mqtt: \(broker.bridgeSettings)")
        defer { site.bridge.stop() }
        let cp = try Self.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "0", "--id-tag", "CARD9", "--events"])
        defer { cp.stop() }
        try cp.waitFor("ready")
        try cp.waitForEvent("transaction", timeout: 10)
        try site.bridge.waitFor("MQTT connected")
        // the charge point's answer to the dynamic profile, on MQTT
        try broker.waitFor("chargebridge/charger/cp1/setpoint_answer", equal: "Accepted")
        // enable OFF: the connector goes Inoperative and the running transaction is stopped remotely
        try broker.publish("chargebridge/charger/cp1/enable/set", "OFF")
        #expect(try cp.waitForEvent("availability", timeout: 10)["type"] as? String == "Inoperative")
        try cp.waitForEvent("remote_stop", timeout: 10)
        try cp.waitForEvent("stopped", timeout: 10)
        // enable ON and force ON: Operative again, and a transaction started remotely
        try broker.publish("chargebridge/charger/cp1/enable/set", "ON")
        try cp.waitForEvent("availability", timeout: 10) { $0["type"] as? String == "Operative" }
        try broker.publish("chargebridge/charger/cp1/force/set", "ON")
        let started = try cp.waitForEvent("remote_start", timeout: 10)
        #expect(started["id_tag"] as? String == "chargebridge" && started["started"] as? Bool == true, "\(started)")
    }

    @Test func twoChargePointsUnderOneZoneShareIt() throws {
        let zone = "load_management: { zones: [ { id: garage, limit_a: 20 } ] }"
        let site = try Self.startSite(["cpa", "cpb"], extra: zone, chargerExtra: ", zone: garage")
        defer { site.bridge.stop() }
        let a = try Self.chargePoint("cpa", port: site.ocppPort, ["--plug-at", "0"])
        defer { a.stop() }
        let b = try Self.chargePoint("cpb", port: site.ocppPort, ["--plug-at", "0"])
        defer { b.stop() }
        try a.waitFor("ready")
        try b.waitFor("ready")
        for (index, north) in site.north.enumerated() { _ = index; try Self.ems(north, [(2002, 60), (5004, 16), (6000, 1)]) }
        // both ask for 16 A; the zone has 20: each gets 10, never more together
        try a.waitForEvent("limit", timeout: 15) { $0["amps"] as? Double == 10 }
        try b.waitForEvent("limit", timeout: 15) { $0["amps"] as? Double == 10 }
        Thread.sleep(forTimeInterval: 2)
        let dynamic = (a.jsonEvents("profile") + b.jsonEvents("profile")).filter { $0["stack"] as? Int == 1 }
        let lastA = a.jsonEvents("profile").last { $0["stack"] as? Int == 1 }?["limit"] as? Double ?? 99
        let lastB = b.jsonEvents("profile").last { $0["stack"] as? Int == 1 }?["limit"] as? Double ?? 99
        #expect(lastA + lastB <= 20, "\(dynamic)")
        // the failsafe profiles share the zone too (never more than it holds together)
        let failA = a.jsonEvents("profile").last { $0["stack"] as? Int == 0 }?["limit"] as? Double ?? 99
        let failB = b.jsonEvents("profile").last { $0["stack"] as? Int == 0 }?["limit"] as? Double ?? 99
        #expect(failA + failB <= 20)
        // a graceful stop clears the dynamic profiles: both are at their failsafe at once
        site.bridge.stop()
        try a.waitForEvent("cleared", timeout: 5) { ($0["ids"] as? [Int]) == [1001] }
        try b.waitForEvent("cleared", timeout: 5) { ($0["ids"] as? [Int]) == [1001] }
        try a.waitForEvent("limit", after: a.jsonEvents("limit").count - 1, timeout: 5) { $0["amps"] as? Double == failA }
    }
}
