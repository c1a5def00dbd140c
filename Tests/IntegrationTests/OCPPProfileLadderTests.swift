import Foundation
import Storage
import Testing

/// The fallback ladder (docs/OCPP.md) against the Python `ocpp` 1.6 charge point
/// (Tests/Peers/ocpp_charge_point.py) told to refuse profiles as chargers in the field do: the
/// way found is published, remembered across a restart, and one that takes no profile at all is
/// shed by availability.
@Suite("OCPP profile ladder against a charge point", .serialized)
struct OCPPProfileLadderTests {
    static let refusing = ["--reject-purposes", "TxDefaultProfile,ChargePointMaxProfile"]

    static func database(_ site: OCPPChargePointTests.Site) -> String {
        site.folder.appendingPathComponent("data/chargebridge.sqlite").path
    }

    @Test func aChargePointRefusingTxDefaultAndChargePointMaxGetsATxProfileAndKeepsItAcrossARestart() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        var site = try OCPPChargePointTests.startSite(["cp1"], extra: "mqtt: \(broker.bridgeSettings)")
        defer { site.bridge.stop() }
        let cp = try OCPPChargePointTests.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "0"] + Self.refusing)
        defer { cp.stop() }
        try cp.waitFor("ready")
        try cp.waitForEvent("transaction", timeout: 10)
        // TxDefault and ChargePointMax refused, then a TxProfile on the running transaction taken
        let tx = try cp.waitForEvent("profile", timeout: 20) { $0["purpose"] as? String == "TxProfile" && $0["status"] as? String == "Accepted" }
        #expect(tx["stack"] as? Int == 0 || tx["stack"] as? Int == 1)
        let refused = Set(cp.jsonEvents("profile").filter { $0["status"] as? String == "Rejected" }.compactMap { $0["purpose"] as? String })
        #expect(refused == ["TxDefaultProfile", "ChargePointMaxProfile"], "\(cp.jsonEvents("profile"))")
        try broker.waitFor("chargebridge/charger/cp1/profile_way", equal: "tx_profile")
        try broker.waitFor("chargebridge/charger/cp1/steerable", equal: "ON")
        // the EMS's 10 A reaches it as a TxProfile
        try OCPPChargePointTests.ems(site.north[0], [(2002, 60), (5004, 10), (6000, 1)])
        try cp.waitForEvent("limit", timeout: 10) { $0["amps"] as? Double == 10 }
        // remembered in the database…
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(10))
        var stored: String?
        while stored != "tx_profile", Date() < deadline {
            stored = try? ChargeDatabase(path: Self.database(site), readOnly: true).profileWay(charger: "cp1")
            if stored != "tx_profile" { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(stored == "tx_profile")
        // check-config shows what the running service learnt
        let check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", site.file.path, "--while-running"])
        #expect(check.stdout.contains("profile way: tx_profile (accepted at an earlier connection)"), "\(check.stdout)")
        // …so after a restart (a new charge point process: a new transaction the bridge sees start)
        // the first profile it sends is a TxProfile, not the refused TxDefault
        cp.stop()
        site.bridge.stop()
        site = try OCPPChargePointTests.startSite(["cp1"], extra: "mqtt: \(broker.bridgeSettings)", existing: (site.ocppPort, site.north, site.file))
        let again = try OCPPChargePointTests.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "0"] + Self.refusing)
        defer { again.stop() }
        try again.waitFor("ready")
        let first = try again.waitForEvent("profile", timeout: 20)
        #expect(first["purpose"] as? String == "TxProfile" && first["status"] as? String == "Accepted", "\(first)")
        #expect(again.jsonEvents("profile").allSatisfy { $0["status"] as? String == "Accepted" }, "\(again.jsonEvents("profile"))")
    }

    @Test func aChargePointRefusingEveryProfileIsNotSteerableAndShedByAvailability() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let site = try OCPPChargePointTests.startSite(["cp1"], extra: "mqtt: \(broker.bridgeSettings)")
        defer { site.bridge.stop() }
        let cp = try OCPPChargePointTests.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "0", "--reject-all-profiles"])
        defer { cp.stop() }
        try cp.waitFor("ready")
        try cp.waitForEvent("transaction", timeout: 10)
        // all three purposes refused (the TxProfile once the transaction runs): not steerable
        try broker.waitFor("chargebridge/charger/cp1/steerable", equal: "OFF", timeout: 20)
        try broker.waitFor("chargebridge/charger/cp1/profile_way", equal: "none")
        let refused = Set(cp.jsonEvents("profile").compactMap { $0["purpose"] as? String })
        #expect(refused == ["TxDefaultProfile", "ChargePointMaxProfile", "TxProfile"])
        #expect(site.bridge.text.contains("not steerable"))
        #expect(cp.jsonEvents("availability").isEmpty, "operative while nothing asks it to shed")
        // check-config shows it too, from the database (written off the connection's thread)
        var check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", site.file.path, "--while-running"])
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(5))
        while !check.stdout.contains("NOT STEERABLE since"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", site.file.path, "--while-running"])
        }
        #expect(check.stdout.contains("NOT STEERABLE since"), "\(check.stdout)")
        // the EMS asks for 0 A: it cannot be limited, so it is made Inoperative
        try OCPPChargePointTests.ems(site.north[0], [(2002, 60), (5004, 0), (6000, 1)])
        let off = try cp.waitForEvent("availability", timeout: 10)
        #expect(off["type"] as? String == "Inoperative" && off["status"] as? String == "Accepted", "\(off)")
        // 16 A again: Operative
        let before = cp.jsonEvents("availability").count
        try OCPPChargePointTests.ems(site.north[0], [(2002, 60), (5004, 16), (6000, 1)])
        let on = try cp.waitForEvent("availability", after: before, timeout: 10)
        #expect(on["type"] as? String == "Operative", "\(on)")
    }
}
