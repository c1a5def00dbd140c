import Foundation
import Testing

/// OCPP 2.0.1 charging stations built on the Python `ocpp` library's v201 ChargePoint
/// (Tests/Peers/ocpp201_charge_point.py, which validates every call against the 2.0.1 schemas and
/// stacks profiles as K01 prescribes) behind the bridge, beside 1.6J ones, seen by an energy
/// manager on the EVC08 face and on MQTT.
@Suite("OCPP 2.0.1 charging stations", .serialized)
struct OCPP201ChargingStationTests {
    static func station(_ id: String, port: Int, _ arguments: [String] = []) throws -> ManagedProcess {
        try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("ocpp201_charge_point.py"), "--url", "ws://127.0.0.1:\(port)/ocpp/\(id)",
                                                        "--password", OCPPChargePointTests.password, "--lifetime", "90"] + arguments)
    }

    @Test func bootStatusATransactionWithMeterValuesAndAnEnergyManagersSetpoint() throws {
        let site = try OCPPChargePointTests.startSite(["cs1"])
        defer { site.bridge.stop() }
        let cs = try Self.station("cs1", port: site.ocppPort, ["--plug-at", "1", "--unplug-at", "12", "--id-token", "CARD201", "--notify-event"])
        defer { cs.stop() }
        try cs.waitFor("ready")
        #expect(try cs.waitForEvent("connected")["subprotocol"] as? String == "ocpp2.0.1")
        // after boot: the rate unit read, the meter values configured
        try cs.waitForEvent("get_variables") { ($0["names"] as? [String])?.contains("SmartChargingCtrlr.RateUnit") == true }
        try cs.waitForEvent("set_variable") { $0["name"] as? String == "SampledDataCtrlr.TxUpdatedInterval" && $0["status"] as? String == "Accepted" }
        // the failsafe profile at stack level 0 with no end, the dynamic one above it with its validity
        let failsafe = try cs.waitForEvent("profile") { $0["stack"] as? Int == 0 }
        #expect(failsafe["limit"] as? Double == 8 && failsafe["valid_to"] is NSNull && failsafe["purpose"] as? String == "TxDefaultProfile")
        #expect(failsafe["status"] as? String == "Accepted", "\(failsafe)")
        try cs.waitForEvent("profile") { $0["stack"] as? Int == 1 && $0["valid_to"] as? String != nil && $0["status"] as? String == "Accepted" }
        // the transaction: status, current and the id token on the EVC08 face, charging at the failsafe 8 A
        #expect(try cs.waitForEvent("transaction", timeout: 10)["status"] as? String == "Accepted")
        try waitForRegister(port: site.north[0], address: 1000, timeout: 15) { $0 == 2 }
        try waitForRegister(port: site.north[0], address: 1008, timeout: 10) { $0 == 8_000 }
        let tag = try readRegisters(port: site.north[0], address: 1516, count: 15)
        #expect(String(decoding: tag.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }.filter { $0 != 0 }, as: UTF8.self) == "CARD201")
        // the EMS asks for 10 A: a SetChargingProfile with that limit, and the car follows
        let before = cs.jsonEvents("profile").count
        try OCPPChargePointTests.ems(site.north[0], [(2002, 60), (5004, 10), (6000, 1)])
        let profile = try cs.waitForEvent("profile", after: before, timeout: 5) { $0["stack"] as? Int == 1 && $0["limit"] as? Double == 10 }
        #expect(profile["status"] as? String == "Accepted" && profile["unit"] as? String == "A" && profile["evse"] as? Int == 1)
        try cs.waitForEvent("limit") { $0["amps"] as? Double == 10 }
        try waitForRegister(port: site.north[0], address: 1008, timeout: 5) { $0 == 10_000 }
        // the car leaves: Ended, and the session is in the database with its token
        try cs.waitForEvent("stopped", timeout: 15)
        try waitForRegister(port: site.north[0], address: 1000, timeout: 10) { $0 == 0 }
        Thread.sleep(forTimeInterval: 2)
        let sessions = try runCommand(try TestEnvironment.chargebridge, ["sessions", "--database", site.folder.appendingPathComponent("data/chargebridge.sqlite").path, "--csv"])
        let row = try #require(sessions.stdout.split(separator: "\n").first { $0.contains("CARD201") }, "\(sessions.stdout) \(sessions.stderr)")
        #expect(row.hasPrefix("cs1,"))
        #expect(site.bridge.text.contains("(OCPP 2.0.1)") && site.bridge.text.contains("event: Connector.Problem = true"))
        #expect(cs.jsonEvents("call_error").isEmpty && cs.jsonEvents("invalid_response").isEmpty, "\(cs.jsonEvents("call_error") + cs.jsonEvents("invalid_response"))")
    }

    @Test func mqttForceAndEnableBecomeRequestedTransactionsAndAvailability() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let site = try OCPPChargePointTests.startSite(["cs1"], extra: "mqtt: \(broker.bridgeSettings)")
        defer { site.bridge.stop() }
        // it starts a transaction of its own at once; the bridge stops it and later asks for one
        let cs = try Self.station("cs1", port: site.ocppPort, ["--plug-at", "0", "--id-token", "NOBODY"])
        defer { cs.stop() }
        try cs.waitFor("ready")
        try site.bridge.waitFor("MQTT connected")
        try broker.waitFor("chargebridge/charger/cs1/setpoint_answer", equal: "Accepted")
        let first = try cs.waitForEvent("transaction", timeout: 10)
        // enable OFF: Inoperative and the running transaction stopped by RequestStopTransaction
        try broker.publish("chargebridge/charger/cs1/enable/set", "OFF")
        #expect(try cs.waitForEvent("availability", timeout: 10)["status"] as? String == "Inoperative")
        #expect(try cs.waitForEvent("remote_stop", timeout: 10)["id"] as? String == first["id"] as? String)
        try cs.waitForEvent("stopped", timeout: 10)
        // enable ON and force ON: Operative, and RequestStartTransaction with the bridge's token
        try broker.publish("chargebridge/charger/cs1/enable/set", "ON")
        try cs.waitForEvent("availability", timeout: 10) { $0["status"] as? String == "Operative" }
        try broker.publish("chargebridge/charger/cs1/force/set", "ON")
        let started = try cs.waitForEvent("remote_start", timeout: TestEnvironment.generous(10))
        #expect(started["id_token"] as? String == "chargebridge" && started["started"] as? Bool == true, "\(started)")
        try cs.waitForEvent("transaction", after: 1, timeout: 10) { $0["id_token"] as? String == "chargebridge" }
        try waitForRegister(port: site.north[0], address: 1000, timeout: 10) { $0 == 2 }
    }

    /// The fallback ladder on 2.0.1 (ChargingStationMaxProfile, TxProfile with the station's own
    /// transaction id), and the MQTT Reset and stop commands.
    @Test func aStationRefusingTxDefaultAndStationMaxGetsATxProfileAndTakesResetAndStop() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let site = try OCPPChargePointTests.startSite(["cs1"], extra: "mqtt: \(broker.bridgeSettings)")
        defer { site.bridge.stop() }
        let cs = try Self.station("cs1", port: site.ocppPort, ["--plug-at", "0", "--reject-purposes", "TxDefaultProfile,ChargingStationMaxProfile"])
        defer { cs.stop() }
        try cs.waitFor("ready")
        let transaction = try cs.waitForEvent("transaction", timeout: 10)
        let tx = try cs.waitForEvent("profile", timeout: 20) { $0["purpose"] as? String == "TxProfile" && $0["status"] as? String == "Accepted" }
        #expect(tx["evse"] as? Int == 1)
        let refused = Set(cs.jsonEvents("profile").filter { $0["status"] as? String == "Rejected" }.compactMap { $0["purpose"] as? String })
        #expect(refused == ["TxDefaultProfile", "ChargingStationMaxProfile"], "\(cs.jsonEvents("profile"))")
        try broker.waitFor("chargebridge/charger/cs1/profile_way", equal: "tx_profile")
        try broker.waitFor("chargebridge/charger/cs1/steerable", equal: "ON")
        // the EMS's 10 A reaches it as a TxProfile
        try OCPPChargePointTests.ems(site.north[0], [(2002, 60), (5004, 10), (6000, 1)])
        try cs.waitForEvent("limit", timeout: 10) { $0["amps"] as? Double == 10 }
        // Reset (2.0.1 Immediate for hard) and the stop of its transaction over MQTT
        try broker.publish("chargebridge/charger/cs1/reset/set", "hard")
        #expect(try cs.waitForEvent("reset", timeout: 10)["type"] as? String == "Immediate")
        try broker.publish("chargebridge/charger/cs1/stop/set", "stop")
        let stop = try cs.waitForEvent("remote_stop", timeout: 10)
        #expect(stop["id"] as? String == transaction["id"] as? String && stop["status"] as? String == "Accepted", "\(stop)")
        try cs.waitForEvent("stopped", timeout: 10)
        #expect(cs.jsonEvents("call_error").isEmpty && cs.jsonEvents("invalid_response").isEmpty, "\(cs.jsonEvents("call_error") + cs.jsonEvents("invalid_response"))")
    }

    /// A 2.0.1 station that takes no profile at all is not steerable and shed by availability.
    @Test func aStationRefusingEveryProfileIsShedByAvailability() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let site = try OCPPChargePointTests.startSite(["cs1"], extra: "mqtt: \(broker.bridgeSettings)")
        defer { site.bridge.stop() }
        let cs = try Self.station("cs1", port: site.ocppPort, ["--plug-at", "0", "--reject-all-profiles"])
        defer { cs.stop() }
        try cs.waitFor("ready")
        try cs.waitForEvent("transaction", timeout: 10)
        try broker.waitFor("chargebridge/charger/cs1/steerable", equal: "OFF", timeout: 20)
        try broker.waitFor("chargebridge/charger/cs1/profile_way", equal: "none")
        #expect(Set(cs.jsonEvents("profile").compactMap { $0["purpose"] as? String }) == ["TxDefaultProfile", "ChargingStationMaxProfile", "TxProfile"])
        #expect(cs.jsonEvents("availability").isEmpty, "operative while nothing asks it to shed")
        // the EMS asks for 0 A: Inoperative (and its transaction stopped); 16 A: Operative again
        try OCPPChargePointTests.ems(site.north[0], [(2002, 60), (5004, 0), (6000, 1)])
        let off = try cs.waitForEvent("availability", timeout: 10)
        #expect(off["status"] as? String == "Inoperative" && off["answer"] as? String == "Accepted", "\(off)")
        #expect(try cs.waitForEvent("remote_stop", timeout: 10)["status"] as? String == "Accepted")
        let before = cs.jsonEvents("availability").count
        try OCPPChargePointTests.ems(site.north[0], [(2002, 60), (5004, 16), (6000, 1)])
        let on = try cs.waitForEvent("availability", after: before, timeout: 10)
        #expect(on["status"] as? String == "Operative", "\(on)")
        #expect(cs.jsonEvents("call_error").isEmpty && cs.jsonEvents("invalid_response").isEmpty, "\(cs.jsonEvents("call_error") + cs.jsonEvents("invalid_response"))")
    }

    @Test func theVersionIsChosenFromWhatIsOfferedPerChargePoint() throws {
        let site = try OCPPChargePointTests.startSite(["both", "old"])
        defer { site.bridge.stop() }
        // auto (the default): a station offering both gets 2.0.1, a 1.6-only charge point 1.6
        let both = try Self.station("both", port: site.ocppPort, ["--subprotocols", "ocpp1.6,ocpp2.0.1", "--plug-at", "-1"])
        defer { both.stop() }
        let old = try OCPPChargePointTests.chargePoint("old", port: site.ocppPort, ["--plug-at", "-1"])
        defer { old.stop() }
        try both.waitFor("ready")
        try old.waitFor("ready")
        #expect(try both.waitForEvent("connected")["subprotocol"] as? String == "ocpp2.0.1")
        #expect(try old.waitForEvent("connected")["subprotocol"] as? String == "ocpp1.6")
        try both.waitForEvent("profile") { $0["stack"] as? Int == 0 && $0["status"] as? String == "Accepted" }
        try old.waitForEvent("profile") { $0["stack"] as? Int == 0 && $0["status"] as? String == "Accepted" }
        try waitForRegister(port: site.north[0], address: 1002, timeout: 10) { $0 == 1 }
        try waitForRegister(port: site.north[1], address: 1002, timeout: 10) { $0 == 1 }
        site.bridge.stop()
        // ocpp.version "2.0.1": the same 1.6-only charge point is refused at the upgrade, with a clear line
        let pinned = try OCPPChargePointTests.startSite(["cs1"], ocppVersion: "2.0.1")
        defer { pinned.bridge.stop() }
        let refused = try OCPPChargePointTests.chargePoint("cs1", port: pinned.ocppPort, ["--plug-at", "-1", "--reconnect-s", "0.5"])
        defer { refused.stop() }
        #expect(try refused.waitForEvent("refused")["status"] as? Int == 400)
        try refused.waitForEvent("refused", after: 2)
        try pinned.bridge.waitFor("refused: it offers ocpp1.6, its ocpp.version allows ocpp2.0.1")
        #expect(pinned.bridge.text.components(separatedBy: "its ocpp.version allows").count == 2, "logged once")
        // a 2.0.1 station gets in on the same configuration
        let fine = try Self.station("cs1", port: pinned.ocppPort, ["--plug-at", "-1"])
        defer { fine.stop() }
        try fine.waitFor("ready")
    }
}
