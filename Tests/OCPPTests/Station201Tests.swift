import EnergyControl
import Foundation
import OCPP
import Testing

@Suite("OCPP 2.0.1 charging station session")
struct Session201Tests {
    let wall = Date(timeIntervalSince1970: 1_790_000_000)
    static let boot: JSONValue = ["reason": "PowerUp", "chargingStation": ["vendorName": "V", "model": "M", "firmwareVersion": "2.1"]]

    func session(tags: Set<String>? = nil) -> StationSession201 {
        var policy = ChargePointPolicy()
        policy.heartbeatInterval = 30
        if let tags { policy.authorizer = .only(tags) }
        var session = StationSession201(policy: policy)
        _ = session.handle(action: "BootNotification", payload: Self.boot, now: 0, wall: wall)
        return session
    }

    static func status(_ status: String, evse: Int = 1) -> JSONValue {
        ["timestamp": "2026-12-02T00:00:00Z", "connectorStatus": .string(status), "evseId": .number(Double(evse)), "connectorId": 1]
    }

    static func event(_ type: String, id: String = "tx-1", state: String? = nil, token: String? = nil, kWh: Double? = nil, amps: Double? = nil,
                      evse: Int? = 1, trigger: String = "Authorized") -> JSONValue {
        var info: [String: JSONValue] = ["transactionId": .string(id)]
        if let state { info["chargingState"] = .string(state) }
        var samples: [JSONValue] = []
        if let kWh { samples.append(["value": .number(kWh), "measurand": "Energy.Active.Import.Register", "unitOfMeasure": ["unit": "kWh"]]) }
        if let amps {
            samples += ["L1", "L2", "L3"].map { ["value": .number(amps), "measurand": "Current.Import", "phase": .string($0), "unitOfMeasure": ["unit": "A"]] }
        }
        var payload: [String: JSONValue] = ["eventType": .string(type), "timestamp": "2026-12-02T00:00:00Z", "triggerReason": .string(trigger),
                                            "seqNo": 0, "transactionInfo": .object(info)]
        if let evse { payload["evse"] = ["id": .number(Double(evse))] }
        if let token { payload["idToken"] = ["idToken": .string(token), "type": "ISO14443"] }
        if !samples.isEmpty { payload["meterValue"] = [["timestamp": "2026-12-02T00:00:00Z", "sampledValue": .array(samples)]] }
        return .object(payload)
    }

    @Test func bootIsAcceptedWithTheHeartbeatInterval() throws {
        var fresh = StationSession201(policy: ChargePointPolicy())
        let reply = try fresh.handle(action: "BootNotification", payload: Self.boot, now: 0, wall: wall).reply.get()
        #expect(reply["status"] == "Accepted" && reply["interval"] == 60 && reply["currentTime"]?.string != nil)
        #expect(fresh.booted && fresh.record.identity == ["vendor": "V", "model": "M", "firmware": "2.1"])
        #expect(try fresh.handle(action: "Heartbeat", payload: [:], now: 1, wall: wall).reply.get()["currentTime"] != nil)
    }

    @Test func connectorStatusAndChargingStateBecomeTheCommonStatus() throws {
        var session = session()
        _ = session.handle(action: "StatusNotification", payload: Self.status("Available"), now: 1, wall: wall)
        #expect(session.chargerStatus(now: 1, online: true).state == .available)
        _ = session.handle(action: "StatusNotification", payload: Self.status("Occupied"), now: 2, wall: wall)
        var status = session.chargerStatus(now: 2, online: true)
        #expect(status.state == .preparing && status.plugged)
        _ = session.handle(action: "TransactionEvent", payload: Self.event("Started", state: "Charging", token: "CARD", kWh: 1.5), now: 3, wall: wall)
        #expect(session.chargerStatus(now: 3, online: true).state == .charging)
        _ = session.handle(action: "TransactionEvent", payload: Self.event("Updated", state: "SuspendedEVSE", evse: nil), now: 4, wall: wall)
        #expect(session.chargerStatus(now: 4, online: true).state == .suspendedEVSE)
        _ = session.handle(action: "TransactionEvent", payload: Self.event("Ended", state: "EVConnected", kWh: 2, evse: nil), now: 5, wall: wall)
        #expect(session.chargerStatus(now: 5, online: true).state == .finishing)
        _ = session.handle(action: "StatusNotification", payload: Self.status("Faulted"), now: 6, wall: wall)
        status = session.chargerStatus(now: 6, online: true)
        #expect(status.state == .faulted && status.faultCode == 1)
        // another EVSE changes nothing here
        _ = session.handle(action: "StatusNotification", payload: Self.status("Available", evse: 2), now: 7, wall: wall)
        #expect(session.chargerStatus(now: 7, online: true).state == .faulted)
    }

    @Test func aTransactionIsASessionWithItsIdTokenAndMeterValues() throws {
        var session = session()
        _ = session.handle(action: "StatusNotification", payload: Self.status("Occupied"), now: 1, wall: wall)
        let started = try session.handle(action: "TransactionEvent", payload: Self.event("Started", state: "Charging", token: "CARD7", kWh: 1),
                                         now: 2, wall: wall).reply.get()
        #expect(started["idTokenInfo"]?["status"] == "Accepted")
        _ = session.handle(action: "TransactionEvent", payload: Self.event("Updated", state: "Charging", kWh: 1.6, amps: 15.5, evse: nil,
                                                                         trigger: "MeterValuePeriodic"), now: 12, wall: wall)
        var status = session.chargerStatus(now: 12, online: true)
        #expect(status.transactionId == "tx-1" && status.idTag == "CARD7")
        #expect(status.sessionEnergyWh == 600 && status.sessionSeconds == 10 && status.currents == [15.5, 15.5, 15.5])
        _ = session.handle(action: "TransactionEvent", payload: Self.event("Ended", kWh: 1.7, evse: nil, trigger: "EVDeparted"), now: 22, wall: wall)
        _ = session.handle(action: "StatusNotification", payload: Self.status("Available"), now: 23, wall: wall)
        status = session.chargerStatus(now: 30, online: true)
        #expect(status.transactionId == "" && !status.plugged && status.sessionEnergyWh == 700 && status.idTag == "CARD7")
    }

    @Test func unitsAndPowerOfTenMultipliersAreApplied() throws {
        var session = session()
        let sample: JSONValue = ["timestamp": "2026-12-02T00:00:00Z", "sampledValue": [
            ["value": 12.345, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": ["unit": "kWh"]],
            ["value": 2295, "measurand": "Voltage", "phase": "L1-N", "unitOfMeasure": ["unit": "V", "multiplier": -1]],
            ["value": 11, "measurand": "Power.Active.Import", "unitOfMeasure": ["unit": "kW"]],
            ["value": 55, "measurand": "SoC", "unitOfMeasure": ["unit": "Percent"]],
            ["value": 99999, "measurand": "Current.Import", "phase": "L3", "unitOfMeasure": ["unit": "A"]],
        ]]
        let handled = session.handle(action: "MeterValues", payload: ["evseId": 1, "meterValue": [sample]], now: 2, wall: wall)
        _ = try handled.reply.get()
        let meter = session.record.meter
        #expect(meter.energyWh == 12_345 && meter.voltages[0] == 229.5 && meter.powerW == 11_000 && meter.soc == 55 && meter.currents[2] == nil)
        #expect(handled.notes.count == 1)   // the absurd current, left out
    }

    @Test func authorizeFollowsTheAllowListAndEventsAreKept() throws {
        var session = session(tags: ["GOOD"])
        func authorize(_ token: String) throws -> JSONValue? {
            try session.handle(action: "Authorize", payload: ["idToken": ["idToken": .string(token), "type": "ISO14443"]], now: 1, wall: wall)
                .reply.get()["idTokenInfo"]?["status"]
        }
        #expect(try authorize("GOOD") == "Accepted" && authorize("BAD") == "Invalid")
        let started = try session.handle(action: "TransactionEvent", payload: Self.event("Started", token: "BAD"), now: 2, wall: wall).reply.get()
        #expect(started["idTokenInfo"]?["status"] == "Invalid")
        let notify: JSONValue = ["generatedAt": "2026-12-02T00:00:00Z", "seqNo": 0, "eventData": [[
            "eventId": 7, "timestamp": "2026-12-02T00:00:00Z", "trigger": "Alerting", "actualValue": "true",
            "eventNotificationType": "HardWiredNotification", "component": ["name": "Connector"], "variable": ["name": "Problem"]]]]
        let handled = session.handle(action: "NotifyEvent", payload: notify, now: 3, wall: wall)
        #expect(try handled.reply.get() == [:])
        #expect(session.events.first?.component == "Connector" && handled.notes.first?.contains("Connector.Problem = true") == true)
    }

    struct Bad: Sendable, CustomStringConvertible {
        let action: String, payload: JSONValue, code: String
        init(_ action: String, _ payload: JSONValue, _ code: String) { (self.action, self.payload, self.code) = (action, payload, code) }
        var description: String { "\(action) \(payload.text)" }
    }

    @Test(arguments: [
        Bad("StatusNotification", ["timestamp": "2026-12-02T00:00:00Z", "evseId": 1, "connectorId": 1], "OccurrenceConstraintViolation"),
        Bad("StatusNotification", ["timestamp": "2026-12-02T00:00:00Z", "connectorStatus": "Charging", "evseId": 1, "connectorId": 1],
            "PropertyConstraintViolation"),
        Bad("StatusNotification", ["timestamp": "2026-12-02T00:00:00Z", "connectorStatus": "Occupied", "evseId": "1", "connectorId": 1],
            "TypeConstraintViolation"),
        Bad("TransactionEvent", ["eventType": "Started", "timestamp": "2026-12-02T00:00:00Z", "triggerReason": "Authorized", "seqNo": 0],
            "OccurrenceConstraintViolation"),
        Bad("TransactionEvent", ["eventType": "Begun", "timestamp": "2026-12-02T00:00:00Z", "triggerReason": "Authorized", "seqNo": 0,
                                 "transactionInfo": ["transactionId": "t"]], "PropertyConstraintViolation"),
        Bad("TransactionEvent", ["eventType": "Started", "timestamp": "2026-12-02T00:00:00Z", "triggerReason": "Authorized", "seqNo": 0,
                                 "transactionInfo": ["transactionId": "t"], "meterValue": [["timestamp": "2026-12-02T00:00:00Z",
                                     "sampledValue": [["value": "12", "measurand": "Current.Import"]]]]], "TypeConstraintViolation"),
        Bad("BootNotification", ["reason": "PowerUp"], "OccurrenceConstraintViolation"),
        Bad("Authorize", ["idToken": ["idToken": "X", "type": "Card"]], "PropertyConstraintViolation"),
        Bad("Heartbeat", [1, 2], "FormatViolation"),
        Bad("Reset", [:], "NotImplemented"),
    ])
    func badPayloadsGetTheSpecificationsAnswerSpelledAs201AndChangeNothing(_ bad: Bad) throws {
        var control = Station201ControlTests.booted()
        let before = control.status(now: 1)
        let frames = control.received(Frame.call(id: "x", action: bad.action, payload: bad.payload).text, now: 1, wall: wall).frames
        guard case .error(let id, let code, _, _)? = frames.first else { Issue.record("\(bad) accepted: \(frames)"); return }
        #expect(id == "x" && code == bad.code)
        #expect(control.status(now: 1) == before)
    }

    @Test func versionsAreChosenFromWhatIsOffered() {
        let both: Set<OCPPVersion> = [.v16, .v201]
        #expect(OCPPVersion.choose(offered: ["ocpp1.6", "ocpp2.0.1"], allowed: both) == .v201)
        #expect(OCPPVersion.choose(offered: ["ocpp1.6"], allowed: both) == .v16)
        #expect(OCPPVersion.choose(offered: ["ocpp1.6", "ocpp2.0.1"], allowed: [.v16]) == .v16)
        #expect(OCPPVersion.choose(offered: ["ocpp1.6"], allowed: [.v201]) == nil)
        #expect(OCPPVersion.choose(offered: ["ocpp2.1"], allowed: both) == nil)
    }
}

@Suite("OCPP 2.0.1 calls and the profile stack")
struct Station201ControlTests {
    static let wall = Date(timeIntervalSince1970: 1_790_000_000)
    var wall: Date { Self.wall }

    static func booted(validity: Double = 20, unit: ProfileStack.RateUnit = .amperes) -> Station201Control {
        var settings = StationSettings()
        settings.stack.validity = validity
        settings.stack.unit = unit
        var control = Station201Control(settings: settings, idPrefix: "t")
        control.opened(now: 0)
        let frames = control.received(Frame.call(id: "b1", action: "BootNotification", payload: Session201Tests.boot).text, now: 0, wall: wall).frames
        #expect(frames.first.map { if case .result = $0 { true } else { false } } == true)
        let configuration = drain(&control, now: 0, first: Array(frames.dropFirst()))
        #expect(configuration.count == 3)
        return control
    }

    /// Answers every call (GetVariables and SetVariables as a station that takes them, the rest
    /// with `status`) until nothing is left; returns what was sent, with its action.
    static func drain(_ control: inout Station201Control, now: Double, status: String = "Accepted", first: [Frame] = []) -> [(String, JSONValue)] {
        var sent: [(String, JSONValue)] = []
        var frames = first + control.tick(now: now, wall: wall).frames
        for _ in 0..<10 {
            guard case .call(let id, let action, let payload)? = frames.first(where: { if case .call = $0 { true } else { false } }) else { break }
            sent.append((action, payload))
            let answer: JSONValue = switch action {
            case "GetVariables": ["getVariableResult": [["attributeStatus": "Accepted", "attributeValue": "A,W",
                                                         "component": ["name": "SmartChargingCtrlr"], "variable": ["name": "RateUnit"]]]]
            case "SetVariables": ["setVariableResult": .array((payload["setVariableData"]?.array ?? []).map { item in
                ["attributeStatus": "Accepted", "component": item["component"] ?? .null, "variable": item["variable"] ?? .null] })]
            default: ["status": .string(status)]
            }
            frames = control.received(Frame.result(id: id, payload: answer).text, now: now, wall: wall).frames
        }
        return sent
    }

    func limit(_ payload: JSONValue) -> JSONValue? {
        payload["chargingProfile"]?["chargingSchedule"]?.array?.first?["chargingSchedulePeriod"]?.array?.first?["limit"]
    }

    @Test func afterBootItReadsTheRateUnitAsksForStatusAndSetsTheMeterValues() {
        var control = Station201Control(settings: StationSettings(), idPrefix: "c")
        control.opened(now: 0)
        let frames = control.received(Frame.call(id: "b", action: "BootNotification", payload: Session201Tests.boot).text, now: 0, wall: wall).frames
        let sent = Self.drain(&control, now: 0, first: Array(frames.dropFirst()))
        #expect(sent.map(\.0) == ["GetVariables", "TriggerMessage", "SetVariables"])
        #expect(sent[0].1["getVariableData"]?.array?.first?["variable"]?["name"] == "RateUnit")
        let set = sent[2].1["setVariableData"]?.array ?? []
        #expect(set.contains { $0["variable"]?["name"] == "TxUpdatedInterval" && $0["attributeValue"] == "10" })
        #expect(set.contains { $0["variable"]?["name"] == "TxUpdatedMeasurands" && $0["attributeValue"]?.string?.contains("SoC") == true })
        // a station taking only W is reported
        var watts = Station201Control(settings: StationSettings(), idPrefix: "w")
        watts.opened(now: 0)
        let boot = watts.received(Frame.call(id: "b", action: "BootNotification", payload: Session201Tests.boot).text, now: 0, wall: wall).frames
        guard case .call(let id, "GetVariables", _)? = boot.dropFirst().first else { Issue.record("no GetVariables: \(boot)"); return }
        let answer = Frame.result(id: id, payload: ["getVariableResult": [["attributeStatus": "Accepted", "attributeValue": "W",
                                                                            "component": ["name": "SmartChargingCtrlr"], "variable": ["name": "RateUnit"]]]])
        #expect(watts.received(answer.text, now: 0, wall: wall).notes.contains { $0.level == .warning && $0.text.contains("W only") })
    }

    @Test func theFailsafeSitsAtStackZeroAndTheSetpointAboveIn201Fields() {
        var control = Self.booted()
        control.setFailsafe(8)
        control.apply(setpoint: 16, phases: nil)
        let sent = Self.drain(&control, now: 1)
        #expect(sent.map(\.0) == ["SetChargingProfile", "SetChargingProfile"])
        let failsafe = sent[0].1, dynamic = sent[1].1
        #expect(failsafe["evseId"] == 1 && failsafe["chargingProfile"]?["stackLevel"] == 0 && failsafe["chargingProfile"]?["validTo"] == nil)
        #expect(failsafe["chargingProfile"]?["chargingProfilePurpose"] == "TxDefaultProfile" && limit(failsafe) == 8)
        let profile = dynamic["chargingProfile"]
        #expect(profile?["id"] == 1001 && profile?["stackLevel"] == 1 && profile?["chargingProfileKind"] == "Absolute")
        #expect(profile?["chargingSchedule"]?.array?.first?["id"] == 1001 && profile?["chargingSchedule"]?.array?.first?["chargingRateUnit"] == "A")
        #expect(profile?["validTo"]?.string.flatMap(OCPPTime.parse) == wall.addingTimeInterval(20))
        #expect(limit(dynamic) == 16 && control.status(now: 1).appliedSetpoint == 16)
        #expect(Self.drain(&control, now: 5).isEmpty)          // nothing new before half the validity
        #expect(Self.drain(&control, now: 11).count == 1)      // renewed
        control.apply(setpoint: 6, phases: nil)                // a decrease goes out at once
        #expect(Self.drain(&control, now: 11.2).first.map { limit($0.1) } == 6)
        control.leave()
        #expect(Self.drain(&control, now: 12).map(\.1) == [["chargingProfileId": 1001]])
    }

    @Test func aStationMaxProfileGoesToEVSEZeroAndARejectionIsNotRetriedInALoop() {
        var settings = StationSettings()
        settings.stack.purpose = .chargePointMax
        settings.meterInterval = nil
        var control = Station201Control(settings: settings, idPrefix: "m")
        control.opened(now: 0)
        let frames = control.received(Frame.call(id: "b", action: "BootNotification", payload: Session201Tests.boot).text, now: 0, wall: wall).frames
        _ = Self.drain(&control, now: 0, first: Array(frames.dropFirst()))
        control.setFailsafe(6)
        control.apply(setpoint: 16, phases: nil)
        let sent = Self.drain(&control, now: 1, status: "Rejected")
        // the configured purpose first; the fallback ladder then tries TxDefaultProfile once
        #expect(sent.count == 4 && sent.prefix(2).allSatisfy { $0.1["evseId"] == 0 && $0.1["chargingProfile"]?["chargingProfilePurpose"] == "ChargingStationMaxProfile" })
        #expect(sent.suffix(2).allSatisfy { $0.1["chargingProfile"]?["chargingProfilePurpose"] == "TxDefaultProfile" })
        for step in 2...9 { #expect(Self.drain(&control, now: Double(step), status: "Rejected").isEmpty) }
        #expect(control.status(now: 9).appliedSetpoint == nil && control.status(now: 9).setpointAnswer == "Rejected")
    }

    @Test func theOperatorsSwitchesBecomeAvailabilityAndRequestedTransactions() {
        var control = Self.booted()
        control.setFailsafe(6)
        control.apply(setpoint: 16, phases: nil)
        _ = Self.drain(&control, now: 1)
        control.setOperator(enabled: true, forced: false)
        #expect(Self.drain(&control, now: 1.1).isEmpty)
        _ = control.received(Frame.call(id: "s", action: "StatusNotification", payload: Session201Tests.status("Occupied")).text, now: 2, wall: wall)
        _ = control.received(Frame.call(id: "t", action: "TransactionEvent", payload: Session201Tests.event("Started", id: "abc", state: "Charging")).text,
                             now: 2, wall: wall)
        control.setOperator(enabled: false, forced: false)
        let off = Self.drain(&control, now: 3)
        #expect(off.contains { $0.0 == "ChangeAvailability" && $0.1["operationalStatus"] == "Inoperative" && $0.1["evse"]?["id"] == 1 })
        #expect(off.contains { $0.0 == "RequestStopTransaction" && $0.1["transactionId"] == "abc" })
        _ = control.received(Frame.call(id: "e", action: "TransactionEvent", payload: Session201Tests.event("Ended", id: "abc", evse: nil)).text,
                             now: 4, wall: wall)
        control.setOperator(enabled: true, forced: true)
        let on = Self.drain(&control, now: 5)
        #expect(on.contains { $0.0 == "ChangeAvailability" && $0.1["operationalStatus"] == "Operative" })
        let start = on.first { $0.0 == "RequestStartTransaction" }?.1
        #expect(start?["idToken"] == ["idToken": "chargebridge", "type": "Central"] && start?["remoteStartId"] == 1 && start?["evseId"] == 1)
        control.setOperator(enabled: true, forced: true)
        #expect(Self.drain(&control, now: 6).isEmpty)          // acts on changes only
        control.reset(.onIdle)
        #expect(Self.drain(&control, now: 7).map(\.1) == [["type": "OnIdle"]])
    }

    @Test func wattsCountThePhasesTheCarReallyUses() {
        var control = Self.booted(unit: .watts)
        control.setFailsafe(8)
        control.apply(setpoint: 10, phases: nil)
        #expect(Self.drain(&control, now: 1).map { limit($0.1) } == [1_840, 2_300])
        _ = control.received(Frame.call(id: "s", action: "StatusNotification", payload: Session201Tests.status("Occupied")).text, now: 2, wall: wall)
        let frames = control.received(Frame.call(id: "t", action: "TransactionEvent",
                                                 payload: Session201Tests.event("Started", state: "Charging", amps: 10)).text, now: 2, wall: wall).frames
        #expect(Self.drain(&control, now: 2.1, first: frames.filter { if case .call = $0 { true } else { false } }).map { limit($0.1) } == [6_900])
        #expect(control.status(now: 2.1).appliedSetpoint == 10)
    }
}
