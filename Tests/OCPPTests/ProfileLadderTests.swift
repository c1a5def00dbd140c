import EnergyControl
import Foundation
import OCPP
import Testing

@Suite("OCPP profile fallback ladder")
struct ProfileLadderTests {
    let wall = Date(timeIntervalSince1970: 1_790_000_000)
    let rejected: Result<JSONValue, OCPPFailure> = .success(["status": "Rejected"])
    let accepted: Result<JSONValue, OCPPFailure> = .success(["status": "Accepted"])

    @Test func everyRungInOrderThenNone() {
        var ladder = ProfileLadder(first: .txDefault, limitKey: true, version: .v16)
        #expect(ladder.rungs == [.txDefault, .chargePointMax, .txProfile, .configuration])
        for expected in [ProfileWay.chargePointMax, .txProfile, .configuration, .none] {
            let moved = ladder.answered(ladder.way, refused: true)
            #expect(moved && ladder.way == expected)
        }
        #expect(!ladder.steerable)
        ladder.restart()                         // nothing ever worked: from the top again
        #expect(ladder.way == .txDefault)
    }

    @Test func theConfiguredPurposeGoesFirstAnd201HasNoConfigurationRung() {
        let ladder = ProfileLadder(first: .chargePointMax, limitKey: true, version: .v201)
        #expect(ladder.rungs == [.chargePointMax, .txDefault, .txProfile])
        #expect(ProfileLadder(first: .txDefault, limitKey: false, version: .v16).rungs == [.txDefault, .chargePointMax, .txProfile])
    }

    @Test func aWayThatWorkedIsKeptAndMovesOnWhenItFailsLater() {
        var ladder = ProfileLadder(first: .txDefault, limitKey: false, version: .v16)
        ladder.answered(.txDefault, refused: true)
        ladder.answered(.chargePointMax, refused: false)
        #expect(ladder.known == .chargePointMax)
        ladder.restart()
        #expect(ladder.way == .chargePointMax)   // a new connection starts at the known way
        let stale = ladder.answered(.txDefault, refused: true)   // a stale answer changes nothing
        let moved = ladder.answered(.chargePointMax, refused: true)
        #expect(!stale && moved && ladder.way == .txProfile && ladder.known == nil)
    }

    @Test func aRememberedWayStartsTheLadderWhereItIsARung() {
        #expect(ProfileLadder(first: .txDefault, limitKey: false, version: .v16, remembered: .txProfile).way == .txProfile)
        #expect(ProfileLadder(first: .txDefault, limitKey: false, version: .v201, remembered: .configuration).way == .txDefault)
    }

    @Test func refusalsAreRejectionsAndNotSupportedErrorsNotTimeouts() {
        #expect(ProfileLadder.refuses(rejected))
        #expect(ProfileLadder.refuses(.success(["status": "RebootRequired"])))
        #expect(!ProfileLadder.refuses(accepted))
        #expect(ProfileLadder.refuses(.failure(OCPPFailure(.notSupported, "NotSupported"))))
        #expect(ProfileLadder.refuses(.failure(OCPPFailure(.propertyConstraintViolation, "x"))))
        #expect(!ProfileLadder.refuses(.failure(OCPPFailure(.genericError, "no answer within 30 s"))))
        #expect(!ProfileLadder.refuses(.failure(OCPPFailure(.internalError, "x"))))
    }

    // MARK: in the control

    func booted(limitKey: String? = nil, remembered: ProfileWay? = nil) -> ChargePointControl {
        var settings = ChargePointControl.Settings()
        settings.meterInterval = nil
        settings.limitKey = limitKey
        settings.rememberedWay = remembered
        var control = ChargePointControl(settings: settings, idPrefix: "t")
        control.opened(now: 0)
        let frames = control.received(#"[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#, now: 0, wall: wall).frames
        _ = exchange(&control, now: 0, first: Array(frames.dropFirst())) { _, _ in ["status": "Accepted"] }
        return control
    }

    /// Answers every call with `answer(action, payload)` until nothing is left; returns what was sent.
    func exchange(_ control: inout ChargePointControl, now: Double, first: [Frame] = [],
                  answer: (String, JSONValue) -> JSONValue?) -> [(action: String, payload: JSONValue)] {
        var sent: [(action: String, payload: JSONValue)] = []
        var frames = first + control.tick(now: now, wall: wall).frames
        for _ in 0..<20 {
            guard case .call(let id, let action, let payload)? = frames.first(where: { if case .call = $0 { true } else { false } }) else { break }
            sent.append((action, payload))
            let reply = answer(action, payload).map { Frame.result(id: id, payload: $0) }
                ?? Frame.error(id: id, code: "NotSupported", description: "no", details: [:])
            frames = control.received(reply.text, now: now, wall: wall).frames
        }
        return sent
    }

    static let start = #"[2,"s1","StartTransaction",{"connectorId":1,"idTag":"TAG","meterStart":0,"timestamp":"2026-09-21T10:00:00Z"}]"#

    static func purpose(_ payload: JSONValue) -> String? { payload["csChargingProfiles"]?["chargingProfilePurpose"]?.string }

    /// Rejects the purposes given (a CALLERROR NotSupported for ChargePointMaxProfile, as some do).
    func refusing(_ purposes: Set<String>) -> (String, JSONValue) -> JSONValue? {
        { action, payload in
            guard action == "SetChargingProfile", let purpose = Self.purpose(payload), purposes.contains(purpose) else { return ["status": "Accepted"] }
            return purpose == "ChargePointMaxProfile" ? nil : ["status": "Rejected"]
        }
    }

    @Test func theLadderReachesTxProfileOnceATransactionRunsAndTheFailsafeFollows() {
        var control = booted()
        control.setFailsafe(6)
        control.apply(setpoint: 10, phases: nil)
        let before = exchange(&control, now: 1, answer: refusing(["TxDefaultProfile", "ChargePointMaxProfile"]))
        #expect(before.compactMap { Self.purpose($0.payload) }.contains("ChargePointMaxProfile"))
        #expect(control.ladder.way == .txProfile)
        #expect(control.status(now: 1).profileWay == "tx_profile" && control.status(now: 1).steerable)
        #expect(exchange(&control, now: 2, answer: refusing([])).isEmpty)       // no transaction: nothing to send
        let start = #"[2,"s1","StartTransaction",{"connectorId":1,"idTag":"TAG","meterStart":0,"timestamp":"2026-09-21T10:00:00Z"}]"#
        let frames = control.received(start, now: 3, wall: wall).frames
        // the charge point is given a moment to take the transaction id from the answer
        #expect(frames.count == 1 && exchange(&control, now: 3.5, answer: refusing([])).isEmpty)
        let sent = exchange(&control, now: 4, answer: refusing(["TxDefaultProfile", "ChargePointMaxProfile"]))
        let profiles = sent.filter { $0.action == "SetChargingProfile" }.compactMap { $0.payload["csChargingProfiles"] }
        #expect(profiles.count == 2)
        #expect(profiles.allSatisfy { $0["chargingProfilePurpose"] == "TxProfile" && $0["transactionId"]?.number != nil })
        #expect(profiles.map { $0["stackLevel"]?.number } == [0, 1])
        #expect(control.ladder.known == .txProfile && control.status(now: 4).appliedSetpoint == 10)
    }

    /// A TxProfile refused because its transaction ended on the way is no refusal of the way.
    @Test func aRefusedTxProfileOfAnEndedTransactionKeepsTheWay() throws {
        var control = booted(remembered: .txProfile)
        control.apply(setpoint: 10, phases: nil)      // no failsafe: the dynamic profile goes alone
        _ = control.received(Self.start, now: 1, wall: wall)
        let id = try #require(control.record.transaction?.id)
        var frames = control.tick(now: 6, wall: wall).frames
        guard case .call(let callId, _, let payload)? = frames.first, Self.purpose(payload) == "TxProfile" else { Issue.record("no TxProfile: \(frames)"); return }
        // the transaction ends before the charge point answers; it refuses the profile for it
        _ = control.received(#"[2,"s2","StopTransaction",{"meterStop":10,"timestamp":"2026-09-21T10:05:00Z","transactionId":\#(id)}]"#, now: 6, wall: wall)
        frames = control.received(Frame.result(id: callId, payload: ["status": "Rejected"]).text, now: 6, wall: wall).frames
        #expect(control.ladder.way == .txProfile && control.ladder.known == .txProfile)
    }

    @Test func theConfigurationRungWritesTheInstallersKeyInAmperes() {
        var control = booted(limitKey: "VendorMaxCurrent")
        control.apply(setpoint: 12, phases: nil)
        let refuseProfiles = refusing(["TxDefaultProfile", "ChargePointMaxProfile", "TxProfile"])
        _ = exchange(&control, now: 6, answer: refuseProfiles)
        #expect(control.ladder.way == .txProfile)            // no transaction: TxProfile has nothing to send yet
        _ = control.received(Self.start, now: 7, wall: wall)
        let sent = exchange(&control, now: 8, answer: refuseProfiles)
        #expect(control.ladder.way == .configuration && control.ladder.known == .configuration)
        #expect(sent.last?.action == "ChangeConfiguration")
        control = booted(limitKey: "VendorMaxCurrent", remembered: .configuration)
        control.apply(setpoint: 12, phases: nil)
        let written = exchange(&control, now: 6, answer: refusing([]))
        #expect(written.first { $0.action == "ChangeConfiguration" }?.payload == ["key": "VendorMaxCurrent", "value": "12"])
        #expect(control.status(now: 6).appliedSetpoint == 12)
        #expect(exchange(&control, now: 60, answer: refusing([])).isEmpty)   // no validity: nothing to renew
        // a stop leaves the key at the failsafe current: there is no failsafe profile under it
        control.setFailsafe(6)
        control.leave()
        #expect(exchange(&control, now: 61, answer: refusing([])).first { $0.action == "ChangeConfiguration" }?.payload == ["key": "VendorMaxCurrent", "value": "6"])
    }

    @Test func aChargePointRefusingEveryWayIsNotSteerableAndShedByAvailability() {
        var control = booted()
        control.setOperator(enabled: true, forced: false)
        control.apply(setpoint: 16, phases: nil)
        let refuseAll = refusing(["TxDefaultProfile", "ChargePointMaxProfile", "TxProfile"])
        _ = exchange(&control, now: 6, answer: refuseAll)
        let start = #"[2,"s1","StartTransaction",{"connectorId":1,"idTag":"TAG","meterStart":0,"timestamp":"2026-09-21T10:00:00Z"}]"#
        _ = control.received(start, now: 7, wall: wall)
        _ = exchange(&control, now: 8, answer: refuseAll)
        #expect(control.ladder.way == .none)
        let status = control.status(now: 8)
        #expect(!status.steerable && status.profileWay == "none" && status.appliedSetpoint == nil)
        #expect(exchange(&control, now: 8.5, answer: refuseAll).isEmpty)    // 16 A: it may charge
        control.apply(setpoint: 0, phases: nil)
        let shed = exchange(&control, now: 9, answer: refuseAll)
        #expect(shed.contains { $0.action == "ChangeAvailability" && $0.payload["type"] == "Inoperative" })
        #expect(shed.contains { $0.action == "RemoteStopTransaction" })
        control.apply(setpoint: 16, phases: nil)
        let back = exchange(&control, now: 10, answer: refuseAll)
        #expect(back.map(\.action) == ["ChangeAvailability"] && back.first?.payload["type"] == "Operative")
    }
}
