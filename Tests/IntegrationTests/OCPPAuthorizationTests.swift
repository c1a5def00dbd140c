import Foundation
import Testing

/// Authorization, Reset, force-stop and vendor error codes with charge points built on the Python
/// `ocpp` library (Tests/Peers/ocpp_charge_point.py) and a real broker.
@Suite("OCPP authorization", .serialized)
struct OCPPAuthorizationTests {
    @Test func aListSetOverMQTTDecidesTagsReachesTheChargePointAndSurvivesARestart() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        // the readers report UIDs in reversed byte order; letters compare in upper case
        let extra = "mqtt: \(broker.bridgeSettings)\nauthorization: { mode: local_list, uid: { case: upper, byte_order: reversed } }"
        var site = try OCPPChargePointTests.startSite(["cp1", "cp2"], extra: extra)
        defer { site.bridge.stop() }
        try site.bridge.waitFor("MQTT connected")
        let errors = try broker.subscriber(["chargebridge/error"])
        defer { errors.stop() }
        // a full list over MQTT: one card accepted (written in lower case), one blocked
        try broker.publish("chargebridge/authorization/list/set", """
            {"update": "full", "version": 7, "entries": [{"id_tag": "0a0e9b83", "status": "Accepted", "priority": true},
                                                         {"id_tag": "0100feca", "status": "Blocked"}]}
            """)
        try broker.waitFor("chargebridge/authorization/list", equal: #"{"count":2,"version":7}"#)

        // cp1 presents 839b0e0a: reversed and upper-cased it is the listed 0A0E9B83
        let cp1 = try OCPPChargePointTests.chargePoint("cp1", port: site.ocppPort, ["--plug-at", "1", "--id-tag", "839b0e0a", "--local-list"])
        defer { cp1.stop() }
        // cp2 presents cafe0001 (0100FECA, blocked) and reports a ground failure with its vendor's code
        let cp2 = try OCPPChargePointTests.chargePoint("cp2", port: site.ocppPort, [
            "--plug-at", "1", "--id-tag", "cafe0001", "--error-at", "2", "--error-code", "GroundFailure",
            "--vendor-error-code", "E42", "--error-info", "RCD tripped",
        ])
        defer { cp2.stop() }
        #expect(try cp1.waitForEvent("authorize", timeout: 15)["status"] as? String == "Accepted")
        #expect(try cp1.waitForEvent("transaction", timeout: 10)["status"] as? String == "Accepted")
        #expect(try cp2.waitForEvent("authorize", timeout: 15)["status"] as? String == "Blocked")
        #expect(cp2.jsonEvents("transaction").isEmpty)
        // the session shows the tag in the list's form
        try broker.waitFor("chargebridge/charger/cp1/id_tag", equal: "0A0E9B83")

        // cp1 has LocalAuthListManagement: it gets the list, in the form its reader presents the cards
        let full = try cp1.waitForEvent("local_list", timeout: 15)
        #expect(full["version"] as? Int == 7 && full["update"] as? String == "Full", "\(full)")
        #expect(full["tags"] as? [String: String] == ["839B0E0A": "Accepted", "CAFE0001": "Blocked"], "\(full)")
        #expect(try cp1.waitForEvent("list_version")["version"] as? Int == 0)

        // the vendor's error code reaches MQTT, not collapsed to a number
        try broker.waitFor("chargebridge/charger/cp2/error", equal: "GroundFailure")
        try broker.waitFor("chargebridge/charger/cp2/vendor_error", equal: "E42: RCD tripped")

        // Reset and force-stop over MQTT
        try broker.publish("chargebridge/charger/cp1/reset/set", "hard")
        #expect(try cp1.waitForEvent("reset", timeout: 10)["type"] as? String == "Hard")
        try broker.publish("chargebridge/charger/cp1/stop/set", "stop")
        #expect(try cp1.waitForEvent("remote_stop", timeout: 10)["status"] as? String == "Accepted")
        try cp1.waitForEvent("stopped", timeout: 10)
        // cp2 has no transaction: refused with the reason
        try broker.publish("chargebridge/charger/cp2/stop/set", "stop")
        try errors.waitFor("no transaction is running", timeout: .seconds(10))
        try broker.publish("chargebridge/charger/cp2/reset/set", "sideways")
        try errors.waitFor("reset takes soft or hard", timeout: .seconds(10))

        // a differential update removes the blocked card: the charge point gets only that
        let sent = cp1.jsonEvents("local_list").count
        try broker.publish("chargebridge/authorization/list/set", #"{"update": "differential", "entries": [{"id_tag": "0100feca"}]}"#)
        let differential = try cp1.waitForEvent("local_list", after: sent, timeout: 15)
        #expect(differential["version"] as? Int == 8 && differential["update"] as? String == "Differential", "\(differential)")
        #expect(differential["tags"] as? [String: String] == ["839B0E0A": "Accepted"], "\(differential)")
        // a bad update is refused whole: nothing changes
        try broker.publish("chargebridge/authorization/list/set", #"{"update": "full", "entries": [{"id_tag": "ok1"}, {"id_tag": "has space"}]}"#)
        try errors.waitFor("printable ASCII without spaces", timeout: .seconds(10))
        try broker.waitFor("chargebridge/authorization/list", equal: #"{"count":1,"version":8}"#)

        // restarted, the bridge keeps the list changed over MQTT (saved in its database)
        site.bridge.stop()
        site = try OCPPChargePointTests.startSite(["cp1", "cp2"], extra: extra, existing: (site.ocppPort, site.north, site.file))
        try site.bridge.waitFor("version 8, 1 tags")
    }
}
