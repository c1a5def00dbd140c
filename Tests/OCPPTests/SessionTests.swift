import EnergyControl
import Foundation
import OCPP
import Testing

@Suite("OCPP charge point session")
struct SessionTests {
    let wall = Date(timeIntervalSince1970: 1_790_000_000)

    func session(tags: Set<String>? = nil) -> ChargePointSession {
        var policy = ChargePointPolicy()
        policy.heartbeatInterval = 30
        if let tags { policy.authorizer = .only(tags) }
        policy.firstTransactionId = 500
        var session = ChargePointSession(policy: policy)
        _ = session.handle(action: "BootNotification", payload: ["chargePointVendor": "V", "chargePointModel": "M"], now: 0, wall: wall)
        return session
    }

    @Test func bootIsAcceptedWithTheHeartbeatInterval() throws {
        var fresh = ChargePointSession(policy: ChargePointPolicy())
        let reply = try fresh.handle(action: "BootNotification", payload: ["chargePointVendor": "V", "chargePointModel": "M", "firmwareVersion": "1.2"],
                                     now: 0, wall: wall).reply.get()
        #expect(reply["status"] == "Accepted" && reply["interval"] == 60 && reply["currentTime"]?.string != nil)
        #expect(fresh.booted && fresh.identity["firmware"] == "1.2")
    }

    struct Bad: Sendable, CustomStringConvertible {
        let action: String, payload: JSONValue, code: OCPPErrorCode
        init(_ action: String, _ payload: JSONValue, _ code: OCPPErrorCode) { (self.action, self.payload, self.code) = (action, payload, code) }
        var description: String { "\(action) \(payload.text)" }
    }

    @Test(arguments: [
        Bad("StatusNotification", ["connectorId": 1, "errorCode": "NoError"], .occurenceConstraintViolation),
        Bad("StatusNotification", ["connectorId": "1", "errorCode": "NoError", "status": "Charging"], .typeConstraintViolation),
        Bad("StatusNotification", ["connectorId": 1, "errorCode": "NoError", "status": "Flying"], .propertyConstraintViolation),
        Bad("StatusNotification", ["connectorId": 1.5, "errorCode": "NoError", "status": "Charging"], .typeConstraintViolation),
        Bad("MeterValues", ["connectorId": 1, "meterValue": "lots"], .typeConstraintViolation),
        Bad("StartTransaction", ["connectorId": 1, "idTag": "TAG", "timestamp": "2026-12-02T00:00:00Z"], .occurenceConstraintViolation),
        Bad("Heartbeat", [1, 2], .formationViolation),
        Bad("Reset", [:], .notImplemented),
    ])
    func badPayloadsGetTheSpecificationsAnswerAndChangeNothing(_ bad: Bad) {
        let (action, payload, code) = (bad.action, bad.payload, bad.code)
        var session = session()
        let before = session.chargerStatus(now: 1, online: true)
        let handled = session.handle(action: action, payload: payload, now: 1, wall: wall)
        guard case .failure(let failure) = handled.reply else { Issue.record("\(action) accepted"); return }
        #expect(failure.code == code)
        #expect(session.chargerStatus(now: 1, online: true) == before)
    }

    @Test func meterValuesApplyUnitsAndMultipliersAndLeaveOutNonsense() throws {
        var session = session()
        let sample: JSONValue = ["timestamp": "2026-12-02T00:00:00Z", "sampledValue": [
            ["value": "15.5", "measurand": "Current.Import", "phase": "L1", "unit": "A"],
            ["value": "15.4", "measurand": "Current.Import", "phase": "L2", "unit": "A"],
            ["value": "NaN", "measurand": "Current.Import", "phase": "L3", "unit": "A"],
            ["value": "229.5", "measurand": "Voltage", "phase": "L1-N", "unit": "V"],
            ["value": "12.345", "measurand": "Energy.Active.Import.Register", "unit": "kWh"],
            ["value": "55", "measurand": "SoC", "unit": "Percent"],
            ["value": "99999", "measurand": "Current.Import", "phase": "L3", "unit": "A"],
        ]]
        let handled = session.handle(action: "MeterValues", payload: ["connectorId": 1, "meterValue": [sample]], now: 2, wall: wall)
        _ = try handled.reply.get()
        #expect(session.meter.currents[0] == 15.5 && session.meter.currents[1] == 15.4 && session.meter.currents[2] == nil)
        #expect(session.meter.voltages[0] == 229.5 && session.meter.energyWh == 12_345 && session.meter.soc == 55)
        #expect(handled.notes.count == 2)
    }

    @Test func aTransactionIsASessionWithItsIdTag() throws {
        var session = session()
        _ = session.handle(action: "StatusNotification", payload: ["connectorId": 1, "errorCode": "NoError", "status": "Preparing"], now: 3, wall: wall)
        let start = try session.handle(action: "StartTransaction", payload: ["connectorId": 1, "idTag": "CARD7", "meterStart": 1000,
                                                                         "timestamp": "2026-12-02T00:00:00Z"], now: 4, wall: wall).reply.get()
        #expect(start["transactionId"] == 500 && start["idTagInfo"]?["status"] == "Accepted")
        _ = session.handle(action: "StatusNotification", payload: ["connectorId": 1, "errorCode": "NoError", "status": "Charging"], now: 5, wall: wall)
        _ = session.handle(action: "MeterValues", payload: ["connectorId": 1, "transactionId": 500, "meterValue": [
            ["timestamp": "2026-12-02T00:00:10Z", "sampledValue": [["value": "1600", "unit": "Wh"]]]]], now: 14, wall: wall)
        var status = session.chargerStatus(now: 14, online: true)
        #expect(status.state == .charging && status.plugged && status.idTag == "CARD7")
        #expect(status.sessionEnergyWh == 600 && status.sessionSeconds == 10)
        _ = session.handle(action: "StopTransaction", payload: ["transactionId": 500, "meterStop": 1700, "timestamp": "2026-12-02T00:00:20Z"], now: 24, wall: wall)
        _ = session.handle(action: "StatusNotification", payload: ["connectorId": 1, "errorCode": "NoError", "status": "Available"], now: 25, wall: wall)
        status = session.chargerStatus(now: 30, online: true)
        #expect(!status.plugged && status.sessionEnergyWh == 700 && status.idTag == "CARD7")   // kept until the next one
    }

    /// After a restart of the bridge a 1.6 charge point does not send StartTransaction again: its
    /// meter values carry the transaction, which is taken up so a TxProfile can be set on it.
    @Test func aTransactionRunningBeforeARestartIsTakenUpFromItsMeterValues() throws {
        var session = session()
        _ = session.handle(action: "StatusNotification", payload: ["connectorId": 1, "errorCode": "NoError", "status": "Charging"], now: 1, wall: wall)
        let values: JSONValue = ["connectorId": 1, "transactionId": 812, "meterValue": [
            ["timestamp": "2026-12-02T00:00:10Z", "sampledValue": [["value": "5000", "unit": "Wh"]]]]]
        let handled = session.handle(action: "MeterValues", payload: values, now: 2, wall: wall)
        _ = try handled.reply.get()
        #expect(session.transaction?.id == "812" && session.transaction?.meterStartWh == 5000)
        #expect(handled.notes.contains { $0.contains("transaction 812 was already running") })
        // its stop ends it; a late meter value of the ended transaction does not start it again
        _ = session.handle(action: "StopTransaction", payload: ["transactionId": 812, "meterStop": 5400, "timestamp": "2026-12-02T00:00:20Z"], now: 3, wall: wall)
        #expect(session.transaction == nil)
        _ = session.handle(action: "MeterValues", payload: values, now: 4, wall: wall)
        #expect(session.transaction == nil)
        // a new transaction's id follows the one taken up
        let start = try session.handle(action: "StartTransaction", payload: ["connectorId": 1, "idTag": "CARD7", "meterStart": 5400,
                                                                         "timestamp": "2026-12-02T00:00:30Z"], now: 5, wall: wall).reply.get()
        #expect((start["transactionId"].flatMap { if case .number(let n) = $0 { n } else { nil } } ?? 0) > 812)
    }

    @Test func anAllowListRefusesOtherTags() throws {
        var session = session(tags: ["GOOD"])
        #expect(try session.handle(action: "Authorize", payload: ["idTag": "GOOD"], now: 1, wall: wall).reply.get()["idTagInfo"]?["status"] == "Accepted")
        #expect(try session.handle(action: "Authorize", payload: ["idTag": "BAD"], now: 1, wall: wall).reply.get()["idTagInfo"]?["status"] == "Invalid")
        let start = try session.handle(action: "StartTransaction", payload: ["connectorId": 1, "idTag": "BAD", "meterStart": 0,
                                                                         "timestamp": "2026-12-02T00:00:00Z"], now: 2, wall: wall).reply.get()
        #expect(start["idTagInfo"]?["status"] == "Invalid" && session.transaction == nil)
        #expect(try session.handle(action: "DataTransfer", payload: ["vendorId": "x"], now: 3, wall: wall).reply.get()["status"] == "UnknownVendorId")
    }
}
