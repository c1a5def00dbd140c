import Authorization
import EnergyControl
import Foundation
import OCPP
import Testing

/// The authorization hook, Reset, stop and error codes on both OCPP versions: one decision for a
/// tag whichever version its charger speaks.
@Suite("OCPP authorization hook on 1.6 and 2.0.1")
struct TagAuthorizerTests {
    let wall = Date(timeIntervalSince1970: 1_790_000_000)
    let expiry = Date(timeIntervalSince1970: 1_800_000_000)

    /// The site's list as the driver hands it in: a reader with reversed byte order, upper case.
    var authorizer: TagAuthorizer {
        let rules = ChargerAuthorization(mode: .localList, format: UIDFormat(letterCase: .upper, byteOrder: .reversed))
        let list = LocalList(version: 3, entries: [ListEntry(idTag: "0A0E9B83", expiry: expiry, parentIdTag: "FLEET"),
                                                   ListEntry(idTag: "01020304", status: .blocked)])
        return TagAuthorizer { tag, wall in Authorizer.decide(tag: tag, rules: rules, list: list, at: wall) }
    }

    var policy: ChargePointPolicy {
        var policy = ChargePointPolicy()
        policy.authorizer = authorizer
        return policy
    }

    func session16() -> ChargePointSession {
        var session = ChargePointSession(policy: policy)
        _ = session.handle(action: "BootNotification", payload: ["chargePointVendor": "V", "chargePointModel": "M"], now: 0, wall: wall)
        return session
    }

    func session201() -> StationSession201 {
        var session = StationSession201(policy: policy)
        _ = session.handle(action: "BootNotification", payload: Session201Tests.boot, now: 0, wall: wall)
        return session
    }

    @Test func bothVersionsGiveOneDecisionWithTheSameNormalisation() throws {
        // the card as the reader presents it: reversed bytes, lower case
        for (presented, status) in [("839b0e0a", "Accepted"), ("04030201", "Blocked"), ("DEADBEEF", "Invalid")] {
            var v16 = session16()
            let info16 = try v16.handle(action: "Authorize", payload: ["idTag": .string(presented)], now: 1, wall: wall).reply.get()["idTagInfo"]
            let start16 = try v16.handle(action: "StartTransaction", payload: ["connectorId": 1, "idTag": .string(presented), "meterStart": 0,
                                                                                "timestamp": "2026-12-02T00:00:00Z"], now: 1, wall: wall).reply.get()
            var v201 = session201()
            let token: JSONValue = ["idToken": .string(presented), "type": "ISO14443"]
            let info201 = try v201.handle(action: "Authorize", payload: ["idToken": token], now: 1, wall: wall).reply.get()["idTokenInfo"]
            let event = try v201.handle(action: "TransactionEvent", payload: Session201Tests.event("Started", token: presented), now: 1, wall: wall)
                .reply.get()["idTokenInfo"]
            #expect(info16?["status"]?.string == status && start16["idTagInfo"]?["status"]?.string == status, "\(presented)")
            #expect(info201?["status"]?.string == status && event?["status"]?.string == status, "\(presented)")
            #expect((v16.transaction != nil) == (status == "Accepted"), "a refused tag starts no 1.6 transaction")
        }
    }

    @Test func theEntrysParentAndExpiryGoInEachVersionsFields() throws {
        var v16 = session16()
        let info16 = try #require(try v16.handle(action: "Authorize", payload: ["idTag": "839B0E0A"], now: 1, wall: wall).reply.get()["idTagInfo"])
        #expect(info16["parentIdTag"] == "FLEET" && info16["expiryDate"]?.string == OCPPTime.format(expiry))
        var v201 = session201()
        let info201 = try #require(try v201.handle(action: "Authorize", payload: ["idToken": ["idToken": "839B0E0A", "type": "ISO14443"]], now: 1, wall: wall)
            .reply.get()["idTokenInfo"])
        #expect(info201["groupIdToken"] == ["idToken": "FLEET", "type": "Central"])
        #expect(info201["cacheExpiryDateTime"]?.string == OCPPTime.format(expiry) && info201["parentIdTag"] == nil)
        // after the expiry both say Expired
        let later = expiry.addingTimeInterval(1)
        #expect(try v16.handle(action: "Authorize", payload: ["idTag": "839B0E0A"], now: 2, wall: later).reply.get()["idTagInfo"]?["status"] == "Expired")
        #expect(try v201.handle(action: "Authorize", payload: ["idToken": ["idToken": "839B0E0A", "type": "ISO14443"]], now: 2, wall: later)
            .reply.get()["idTokenInfo"]?["status"] == "Expired")
    }

    @Test func errorsOf16AndProblemsOf201ReachTheStatus() throws {
        var v16 = session16()
        _ = v16.handle(action: "StatusNotification", payload: ["connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted",
                                                               "vendorErrorCode": "E42", "info": "RCD tripped"], now: 1, wall: wall)
        let faulted = v16.chargerStatus(now: 1, online: true)
        #expect(faulted.faultCode == 3 && faulted.errorCode == "GroundFailure" && faulted.vendorErrorCode == "E42" && faulted.errorInfo == "RCD tripped")
        _ = v16.handle(action: "StatusNotification", payload: ["connectorId": 1, "errorCode": "NoError", "status": "Available"], now: 2, wall: wall)
        #expect(v16.chargerStatus(now: 2, online: true).faultCode == 0 && v16.chargerStatus(now: 2, online: true).errorCode.isEmpty)

        var v201 = session201()
        func problem(_ value: String, evse: Int? = 1, cleared: Bool = false) -> JSONValue {
            var component: [String: JSONValue] = ["name": "Connector"]
            if let evse { component["evse"] = ["id": .number(Double(evse))] }
            var data: [String: JSONValue] = ["eventId": 1, "timestamp": "2026-12-02T00:00:00Z", "trigger": "Alerting", "actualValue": .string(value),
                                             "eventNotificationType": "HardWiredNotification", "component": .object(component),
                                             "variable": ["name": "Problem"], "techCode": "E7", "techInfo": "lock motor"]
            if cleared { data["cleared"] = true }
            return ["generatedAt": "2026-12-02T00:00:00Z", "seqNo": 0, "eventData": [.object(data)]]
        }
        _ = v201.handle(action: "NotifyEvent", payload: problem("true", evse: 2), now: 1, wall: wall)
        #expect(v201.chargerStatus(now: 1, online: true).errorCode.isEmpty, "another EVSE's problem is not this one's")
        _ = v201.handle(action: "NotifyEvent", payload: problem("true"), now: 1, wall: wall)
        let status = v201.chargerStatus(now: 1, online: true)
        #expect(status.errorCode == "ConnectorProblem" && status.faultCode == 1 && status.vendorErrorCode == "E7" && status.errorInfo == "lock motor")
        _ = v201.handle(action: "NotifyEvent", payload: problem("true", cleared: true), now: 2, wall: wall)
        #expect(v201.chargerStatus(now: 2, online: true).errorCode.isEmpty && v201.chargerStatus(now: 2, online: true).faultCode == 0)
    }

    @Test func resetAndStopSpeakEachVersion() throws {
        var v201 = Station201ControlTests.booted()
        let nothing = v201.stopTransaction()
        #expect(!nothing, "no transaction: nothing to stop")
        _ = v201.received(Frame.call(id: "e1", action: "TransactionEvent", payload: Session201Tests.event("Started", id: "tx-9", token: "839B0E0A")).text,
                          now: 1, wall: wall)
        let stopped201 = v201.stopTransaction()
        #expect(stopped201)
        v201.reset(.onIdle)
        let sent = Station201ControlTests.drain(&v201, now: 2)
        #expect(sent.contains { $0.0 == "RequestStopTransaction" && $0.1["transactionId"] == "tx-9" })
        #expect(sent.contains { $0.0 == "Reset" && $0.1["type"] == "OnIdle" })

        var v16 = ChargePointControl(settings: StationSettings(), idPrefix: "r")
        v16.opened(now: 0)
        // the call after boot goes out with the boot's answer: it is answered below like the rest
        var frames = v16.received(#"[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#, now: 0, wall: wall).frames
        frames += v16.received(#"[2,"t","StartTransaction",{"connectorId":1,"idTag":"X","meterStart":0,"timestamp":"2026-12-02T00:00:00Z"}]"#,
                               now: 0, wall: wall).frames
        let stopped16 = v16.stopTransaction()
        #expect(stopped16)
        v16.reset(.immediate)
        var actions: [String: JSONValue] = [:]
        for _ in 0..<10 {
            guard case .call(let id, let action, let payload)? = frames.first(where: { if case .call = $0 { true } else { false } }) else { break }
            actions[action] = payload
            frames = v16.received(Frame.result(id: id, payload: ["status": "Accepted"]).text, now: 1, wall: wall).frames
        }
        #expect(actions["RemoteStopTransaction"]?["transactionId"] == 1 && actions["Reset"]?["type"] == "Hard")
    }
}
