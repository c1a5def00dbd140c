import EnergyControl
import Foundation
import OCPP
import Testing

@Suite("OCPP calls and the profile stack")
struct ControlTests {
    let wall = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func oneOutstandingCallUniqueIdsLatestWinsAndATimeout() {
        var calls = OutgoingCalls(prefix: "t", timeout: 30)
        calls.enqueue("ChangeConfiguration", ["key": "A"], key: "a")
        calls.enqueue("SetChargingProfile", ["limit": 10], key: "dynamic")
        calls.enqueue("SetChargingProfile", ["limit": 8], key: "dynamic", urgent: true)   // replaces, goes first
        guard case .call(let first, _, let payload) = calls.next(now: 0) else { Issue.record("nothing sent"); return }
        #expect(payload == ["limit": 8])
        #expect(calls.next(now: 1) == nil)                                   // one at a time
        #expect(calls.receive(.result(id: "other", payload: [:])) == nil)    // not ours
        #expect(calls.receive(.result(id: first, payload: ["status": "Accepted"]))?.key == "dynamic")
        guard case .call(let second, _, _) = calls.next(now: 2) else { Issue.record("nothing sent"); return }
        #expect(second != first)
        #expect(calls.expire(now: 31) == nil)
        let expired = calls.expire(now: 32)
        #expect(expired?.key == "a")
        if case .failure(let failure)? = expired?.answer { #expect(failure.description.contains("no answer")) } else { Issue.record("no timeout") }
    }

    func booted(validity: Double = 20) -> ChargePointControl {
        var settings = ChargePointControl.Settings()
        settings.stack.validity = validity
        settings.meterInterval = nil
        var control = ChargePointControl(settings: settings, idPrefix: "t")
        control.opened(now: 0)
        let frames = control.received(#"[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#, now: 0, wall: wall).frames
        #expect(frames.first == .result(id: "b1", payload: frames.first.flatMap { if case .result(_, let p) = $0 { p } else { nil } } ?? .null))
        // after boot: its rate units, its status, what to measure (answered here)
        let configuration = drain(&control, now: 0, first: Array(frames.dropFirst()))
        #expect(configuration.first?["key"] == ["ChargingScheduleAllowedChargingRateUnit"])
        #expect(configuration.contains { $0["requestedMessage"] == "StatusNotification" })
        #expect(configuration.contains { $0["key"] == "MeterValuesSampledData" })
        return control
    }

    /// Answers every call with Accepted until nothing is left; returns what was sent.
    func drain(_ control: inout ChargePointControl, now: Double, status: String = "Accepted", first: [Frame] = []) -> [JSONValue] {
        var sent: [JSONValue] = []
        var frames = first + control.tick(now: now, wall: wall).frames
        for _ in 0..<10 {
            guard case .call(let id, _, let payload)? = frames.first else { break }
            sent.append(payload)
            frames = control.received(Frame.result(id: id, payload: ["status": .string(status)]).text, now: now, wall: wall).frames
        }
        return sent
    }

    @Test func theFailsafeSitsAtStackZeroAndTheSetpointAboveWithAValidityItRenews() {
        var control = booted()
        control.setFailsafe(8)
        control.apply(setpoint: 16, phases: nil)
        let sent = drain(&control, now: 1)
        #expect(sent.count == 2)
        let failsafe = sent[0]["csChargingProfiles"], dynamic = sent[1]["csChargingProfiles"]
        #expect(failsafe?["stackLevel"] == 0 && failsafe?["validTo"] == nil)
        #expect(failsafe?["chargingSchedule"]?["chargingSchedulePeriod"]?.array?.first?["limit"] == 8)
        #expect(dynamic?["stackLevel"] == 1 && dynamic?["chargingProfilePurpose"] == "TxDefaultProfile")
        #expect(dynamic?["validTo"]?.string.flatMap(OCPPTime.parse) == wall.addingTimeInterval(20))
        #expect(control.status(now: 1).appliedSetpoint == 16)
        #expect(drain(&control, now: 5).isEmpty)         // nothing new before half the validity
        #expect(drain(&control, now: 11).count == 1)     // renewed
        control.apply(setpoint: 6, phases: nil)          // a decrease goes out at once
        #expect(drain(&control, now: 11.2).first?["csChargingProfiles"]?["chargingSchedule"]?["chargingSchedulePeriod"]?.array?.first?["limit"] == 6)
    }

    @Test func theDynamicProfileWaitsForTheFailsafeAtMostAFewSeconds() {
        var control = booted()
        control.apply(setpoint: 16, phases: nil)
        #expect(drain(&control, now: 1).isEmpty)
        #expect(drain(&control, now: 6).count == 1)       // no failsafe came: the setpoint goes anyway
    }

    @Test func aRejectedProfileIsNotRetriedInALoop() {
        var control = booted()
        control.setFailsafe(6)
        _ = drain(&control, now: 0.5)
        control.apply(setpoint: 16, phases: nil)
        // the fallback ladder tries ChargePointMaxProfile (failsafe and setpoint) once, then waits
        // for a transaction to try a TxProfile: nothing in a loop, not even at the renewal time
        #expect(drain(&control, now: 1, status: "Rejected").count == 3)
        for step in 2...11 { #expect(drain(&control, now: Double(step), status: "Rejected").isEmpty) }
        #expect(control.status(now: 11).appliedSetpoint == nil && control.ladder.way == .txProfile)
    }

    @Test func leavingClearsTheDynamicProfileAndRenewsNothing() {
        var control = booted()
        control.setFailsafe(6)
        control.apply(setpoint: 16, phases: nil)
        _ = drain(&control, now: 1)
        control.leave()
        let sent = drain(&control, now: 2)
        #expect(sent == [["id": 1001]])
        #expect(drain(&control, now: 30).isEmpty)
    }

    @Test func aChargePointThatTakesOnlyPowerIsReported() {
        var control = ChargePointControl(settings: ChargePointControl.Settings(), idPrefix: "u")
        control.opened(now: 0)
        let frames = control.received(#"[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#, now: 0, wall: wall).frames
        guard case .call(let id, "GetConfiguration", _)? = frames.dropFirst().first else { Issue.record("no GetConfiguration: \(frames)"); return }
        let answer = Frame.result(id: id, payload: ["configurationKey": [["key": "ChargingScheduleAllowedChargingRateUnit", "readonly": true, "value": "Power"]]])
        let notes = control.received(answer.text, now: 0, wall: wall).notes
        #expect(notes.contains { $0.level == .warning && $0.text.contains("Power only") })
    }

    @Test func theOperatorsSwitchesBecomeAvailabilityAndRemoteTransactions() {
        var control = booted()
        control.setFailsafe(6)
        control.apply(setpoint: 16, phases: nil)
        _ = drain(&control, now: 1)
        control.setOperator(enabled: true, forced: false)
        #expect(drain(&control, now: 1.1).isEmpty)                 // nothing differs from the default
        // a car plugs in, a transaction runs
        for (id, frame) in [("s1", #"[2,"s1","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging"}]"#),
                            ("t1", #"[2,"t1","StartTransaction",{"connectorId":1,"idTag":"CARD","meterStart":0,"timestamp":"2026-12-02T00:00:00Z"}]"#)] {
            _ = id
            _ = control.received(frame, now: 2, wall: wall)
        }
        control.setOperator(enabled: false, forced: false)
        let off = drain(&control, now: 3)
        #expect(off.contains { $0["type"] == "Inoperative" })
        #expect(off.contains { $0["transactionId"] != nil })
        _ = control.received(#"[2,"t2","StopTransaction",{"transactionId":\#(control.session.lastTransaction?.id ?? control.session.transaction?.id ?? "0"),"meterStop":10,"timestamp":"2026-12-02T00:00:05Z"}]"#, now: 4, wall: wall)
        _ = control.received(#"[2,"s2","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"SuspendedEVSE"}]"#, now: 4, wall: wall)
        _ = control.received(#"[2,"s3","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Unavailable"}]"#, now: 4.5, wall: wall)
        control.setOperator(enabled: true, forced: true)
        let on = drain(&control, now: 5)
        #expect(on.contains { $0["type"] == "Operative" })
        #expect(!on.contains { $0["idTag"] != nil })                 // no car shown yet
        _ = control.received(#"[2,"s4","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Finishing"}]"#, now: 5.5, wall: wall)
        control.setOperator(enabled: true, forced: true)
        #expect(drain(&control, now: 5.6).contains { $0["idTag"] == "chargebridge" })   // as soon as it is
        control.setOperator(enabled: true, forced: true)
        #expect(drain(&control, now: 6).isEmpty)                   // acts on changes only
    }

    @Test func wattsCountThePhasesTheCarReallyUses() throws {
        var stack = ProfileStack()
        stack.unit = .watts
        #expect(stack.limit(amperes: 10, powerPhases: 3) == 6_900)
        #expect(stack.limit(amperes: 10, powerPhases: 1) == 2_300)
        var settings = ChargePointControl.Settings()
        settings.stack.unit = .watts
        settings.meterInterval = nil
        var control = ChargePointControl(settings: settings, idPrefix: "w")
        control.opened(now: 0)
        let frames = control.received(#"[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#, now: 0, wall: wall).frames
        _ = drain(&control, now: 0, first: Array(frames.dropFirst()))
        control.setFailsafe(8)
        control.apply(setpoint: 10, phases: nil)
        func limits(_ sent: [JSONValue]) -> [Double] {
            sent.compactMap { $0["csChargingProfiles"]?["chargingSchedule"]?["chargingSchedulePeriod"]?.array?.first?["limit"]?.number }
        }
        // before the car is seen charging: one phase, never 3 × 10 A on a single-phase car
        #expect(limits(drain(&control, now: 1)) == [1_840, 2_300])
        #expect(control.status(now: 1).appliedSetpoint == 10)
        _ = control.received(#"[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging"}]"#, now: 2, wall: wall)
        let answered = control.received(#"[2,"m","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-12-02T00:00:00Z","sampledValue":[{"value":"10","measurand":"Current.Import","phase":"L1","unit":"A"},{"value":"10","measurand":"Current.Import","phase":"L2","unit":"A"},{"value":"10","measurand":"Current.Import","phase":"L3","unit":"A"}]}]}]"#, now: 2, wall: wall).frames
        let calls = answered.filter { if case .call = $0 { true } else { false } }
        #expect(limits(drain(&control, now: 2.1, first: calls)) == [6_900])     // three phases seen: 3 × 230 V × 10 A
        #expect(control.status(now: 2.1).appliedSetpoint == 10)
    }
}
