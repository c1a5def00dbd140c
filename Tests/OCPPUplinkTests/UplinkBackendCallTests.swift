import Authorization
import EnergyControl
import Foundation
import OCPP
import OCPPUplink
import Testing

@Suite("OCPP uplink: the backend's calls, profiles as a cap, authorization")
struct UplinkBackendCallTests {
    static func profile(id: Int = 7, purpose: String = "TxDefaultProfile", level: Int = 0, connector: Int = 1, unit: String = "A",
                        periods: [JSONValue] = [["startPeriod": 0, "limit": 10]], kind: String = "Absolute",
                        extra: [String: JSONValue] = [:], start: String? = "2026-09-01T00:00:00Z") -> JSONValue {
        var schedule: [String: JSONValue] = ["chargingRateUnit": .string(unit), "chargingSchedulePeriod": .array(periods)]
        if let start { schedule["startSchedule"] = .string(start) }
        var profile: [String: JSONValue] = ["chargingProfileId": .number(Double(id)), "stackLevel": .number(Double(level)),
                                            "chargingProfilePurpose": .string(purpose), "chargingProfileKind": .string(kind),
                                            "chargingSchedule": .object(schedule)]
        for (key, value) in extra { profile[key] = value }
        return ["connectorId": .number(Double(connector)), "csChargingProfiles": .object(profile)]
    }

    func booted() -> Harness {
        var h = Harness()
        h.connect()
        return h
    }

    @Test func aTxDefaultProfileCapsTheChargerAndAStationMaximumBelowItWins() {
        var h = booted()
        #expect(h.machine.cap(wall: h.wall) == nil)
        #expect(h.backendCalls("SetChargingProfile", Self.profile())?.resultPayload == ["status": "Accepted"])
        #expect(h.machine.cap(wall: h.wall) == 10)
        _ = h.backendCalls("SetChargingProfile", Self.profile(id: 8, purpose: "ChargePointMaxProfile", connector: 0, unit: "W",
                                                              periods: [["startPeriod": 0, "limit": 4140]]))
        #expect(h.machine.cap(wall: h.wall) == 6)   // 4 140 W on three phases of 230 V
        #expect(h.store.state["profiles"]?.array?.count == 2)
        #expect(h.backendCalls("ClearChargingProfile", ["chargingProfilePurpose": "ChargePointMaxProfile"])?.resultPayload == ["status": "Accepted"])
        #expect(h.machine.cap(wall: h.wall) == 10)
        #expect(h.backendCalls("ClearChargingProfile", ["id": 99])?.resultPayload == ["status": "Unknown"])
    }

    @Test func theHigherStackLevelCountsWhileValidAndPeriodsFollowTheClock() {
        var h = booted()
        _ = h.backendCalls("SetChargingProfile", Self.profile(id: 1, level: 0, periods: [["startPeriod": 0, "limit": 16]]))
        let until = OCPPTime.format(h.wall.addingTimeInterval(600))
        _ = h.backendCalls("SetChargingProfile", Self.profile(id: 2, level: 3, periods: [["startPeriod": 0, "limit": 8]],
                                                              extra: ["validTo": .string(until)]))
        #expect(h.machine.cap(wall: h.wall) == 8)
        #expect(h.machine.cap(wall: h.wall.addingTimeInterval(600)) == 16)
        // a relative schedule: 6 A for ten minutes, then 12 A
        _ = h.backendCalls("SetChargingProfile", Self.profile(id: 3, level: 5, periods: [["startPeriod": 0, "limit": 6], ["startPeriod": 600, "limit": 12]],
                                                              kind: "Relative", start: nil))
        #expect(h.machine.cap(wall: h.wall.addingTimeInterval(599)) == 6)
        #expect(h.machine.cap(wall: h.wall.addingTimeInterval(601)) == 12)
    }

    @Test func aDailyProfileRecurs() {
        var h = booted()
        let midnight = OCPPTime.format(Date(timeIntervalSince1970: (h.wall.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 - 86_400 * 3))
        _ = h.backendCalls("SetChargingProfile", Self.profile(periods: [["startPeriod": 0, "limit": 6], ["startPeriod": 43_200, "limit": 20]],
                                                              kind: "Recurring", extra: ["recurrencyKind": "Daily"], start: midnight))
        let today = (h.wall.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        #expect(h.machine.cap(wall: Date(timeIntervalSince1970: today + 3_600)) == 6)
        #expect(h.machine.cap(wall: Date(timeIntervalSince1970: today + 50_000)) == 20)
    }

    @Test func invalidProfilesAreRejectedAndMalformedOnesAnsweredWithAnErrorNothingChanges() {
        var h = booted()
        #expect(h.backendCalls("SetChargingProfile", Self.profile(periods: [["startPeriod": 5, "limit": 10]]))?.resultPayload == ["status": "Rejected"])
        #expect(h.backendCalls("SetChargingProfile", Self.profile(periods: [["startPeriod": 0, "limit": -1]]))?.resultPayload == ["status": "Rejected"])
        #expect(h.backendCalls("SetChargingProfile", Self.profile(connector: 2))?.resultPayload == ["status": "Rejected"])
        #expect(h.backendCalls("SetChargingProfile", Self.profile(purpose: "TxProfile"))?.resultPayload == ["status": "Rejected"])   // no transaction
        #expect(h.backendCalls("SetChargingProfile", Self.profile(unit: "kW"))?.errorCode == "PropertyConstraintViolation")
        #expect(h.backendCalls("SetChargingProfile", Self.profile(periods: [["startPeriod": 0, "limit": "ten"]]))?.errorCode == "TypeConstraintViolation")
        #expect(h.backendCalls("SetChargingProfile", ["connectorId": 1])?.errorCode == "OccurenceConstraintViolation")
        #expect(h.machine.cap(wall: h.wall) == nil)
        #expect(h.store.state["profiles"] == nil)
    }

    @Test func aTxProfileLastsItsTransactionAndProfilesSurviveARestart() {
        var h = booted()
        _ = h.backendCalls("SetChargingProfile", Self.profile(id: 1, periods: [["startPeriod": 0, "limit": 16]]))
        h.plug()
        h.tick(after: 1)
        #expect(h.backendCalls("SetChargingProfile", Self.profile(id: 2, purpose: "TxProfile", periods: [["startPeriod": 0, "limit": 7]],
                                                                  extra: ["transactionId": 42]))?.resultPayload == ["status": "Accepted"])
        #expect(h.machine.cap(wall: h.wall) == 7)
        #expect(h.backendCalls("SetChargingProfile", Self.profile(id: 3, purpose: "TxProfile", extra: ["transactionId": 41]))?.resultPayload == ["status": "Rejected"])
        h.unplug()
        h.tick(after: 1)
        #expect(h.machine.cap(wall: h.wall) == 16)
        let again = Harness(restored: h.store.restored)
        #expect(again.machine.cap(wall: h.wall) == 16)
    }

    @Test func remoteStartForcesTheChargerAndTheNextPlugStartsWithTheBackendsTag() {
        var h = Harness(settings: Harness.settings { $0.autostart = false })
        h.connect()
        h.plug()
        h.tick(after: 1)
        #expect(h.sent("StartTransaction").isEmpty)
        #expect(h.machine.cap(wall: h.wall) == 0)   // waits for a start
        #expect(h.backendCalls("RemoteStartTransaction", ["idTag": "REMOTE-1", "connectorId": 1])?.resultPayload == ["status": "Accepted"])
        #expect(h.commands == [.force(true)])
        h.tick()
        #expect(h.sent("StartTransaction").first?["idTag"] == "REMOTE-1")
        #expect(h.machine.cap(wall: h.wall) == nil)
        #expect(h.backendCalls("RemoteStartTransaction", ["idTag": "REMOTE-2"])?.resultPayload == ["status": "Rejected"])   // one runs
        #expect(h.backendCalls("RemoteStopTransaction", ["transactionId": 7])?.resultPayload == ["status": "Rejected"])
        #expect(h.backendCalls("RemoteStopTransaction", ["transactionId": 42])?.resultPayload == ["status": "Accepted"])
        #expect(h.commands == [.force(true), .force(false)])
        #expect(h.sent("StopTransaction").first?["reason"] == "Remote")
        #expect(h.machine.cap(wall: h.wall) == 0)
        h.tick(after: 5)
        #expect(h.sent("StartTransaction").count == 1)   // held until the vehicle leaves
        h.unplug()
        h.tick(after: 1)
        #expect(h.machine.cap(wall: h.wall) == nil)
    }

    @Test func aLocalTagIsAuthorizedByTheBackendOrRefusedAndHeld() {
        var h = booted()
        h.respond = { action, payload, next in
            action == "Authorize" ? ["idTagInfo": ["status": payload["idTag"] == "GOOD" ? "Accepted" : "Invalid"]] : Harness.acceptAll(action, payload, &next)
        }
        h.plug(tag: "BAD")
        h.tick(after: 1)
        h.tick()
        #expect(h.sent("Authorize").first?["idTag"] == "BAD")
        #expect(h.sent("StartTransaction").isEmpty)
        #expect(h.machine.cap(wall: h.wall) == 0)
        // a restart keeps the hold: the refused car still gets 0 A, without asking again
        var restarted = Harness(restored: h.store.restored)
        restarted.store = h.store
        restarted.status = h.status
        restarted.connect()
        restarted.tick(after: 1)
        #expect(restarted.machine.cap(wall: restarted.wall) == 0 && restarted.sent("StartTransaction").isEmpty)
        restarted.unplug()
        restarted.tick(after: 1)
        #expect(restarted.machine.hold == nil && Harness(restored: restarted.store.restored).machine.hold == nil)
        h.unplug()
        h.tick(after: 1)
        h.plug(tag: "GOOD")
        h.tick(after: 1)
        h.tick()
        #expect(h.sent("StartTransaction").first?["idTag"] == "GOOD")
        #expect(h.machine.cap(wall: h.wall) == nil)
    }

    @Test func offlineTheLocalListDecides() {
        for (mode, tag, starts) in [(OCPPUplink.OfflineAuthorization.localList, "CARD1", true), (.localList, "STRANGER", false), (.acceptAll, "STRANGER", true),
                                    (.reject, "CARD1", false)] {
            var h = Harness(settings: Harness.settings { $0.offline = mode; $0.localList = ["CARD1"] })
            h.plug(tag: tag)
            h.tick(after: 1)
            h.tick(after: 1)
            #expect(h.machine.journal.entries.contains { $0.action == "StartTransaction" } == starts, "\(mode) \(tag)")
            #expect((h.machine.cap(wall: h.wall) == 0) == !starts)
        }
    }

    @Test func offlineLocalListAsksTheSitesAuthorizationWhenHandedIn() {
        // the bridge's authorization (here: only CARD1, until an expiry) overrides the plain list
        for (tag, validFor, starts) in [("CARD1", 100.0, true), ("CARD1", 0, false), ("OLDLIST", 100, false)] {
            let expiry = Harness.wall0.addingTimeInterval(validFor)
            let site = TagAuthorizer { tag, wall in
                tag == "CARD1" && wall < expiry ? AuthorizationDecision(.accepted, "listed") : AuthorizationDecision(.invalid, "not listed")
            }
            var h = Harness(settings: Harness.settings { $0.offline = .localList; $0.localList = ["OLDLIST"]; $0.localAuthorizer = site })
            h.plug(tag: tag)
            h.tick(after: 1)
            h.tick(after: 1)
            #expect(h.machine.journal.entries.contains { $0.action == "StartTransaction" } == starts, "\(tag), valid for \(validFor) s")
        }
    }

    @Test func aTransactionTheBackendRefusesIsStoppedAndHeld() {
        var h = booted()
        h.respond = { action, payload, next in
            action == "StartTransaction" ? ["transactionId": 9, "idTagInfo": ["status": "Blocked"]] : Harness.acceptAll(action, payload, &next)
        }
        h.plug()
        h.tick(after: 1)
        #expect(h.sent("StopTransaction").first?["reason"] == "DeAuthorized")
        #expect(h.sent("StopTransaction").first?["transactionId"] == 9)
        #expect(h.machine.cap(wall: h.wall) == 0)
    }

    @Test func configurationTriggerResetAndTheRest() {
        var h = booted()
        let keys = h.backendCalls("GetConfiguration", ["key": ["HeartbeatInterval", "Nope"]])?.resultPayload
        #expect(keys?["configurationKey"] == [["key": "HeartbeatInterval", "readonly": false, "value": "60"]])
        #expect(keys?["unknownKey"] == ["Nope"])
        #expect(h.backendCalls("ChangeConfiguration", ["key": "MeterValueSampleInterval", "value": "15"])?.resultPayload == ["status": "Accepted"])
        #expect(h.machine.meterInterval == 15)
        #expect(h.store.state["MeterValueSampleInterval"] == 15)
        #expect(h.backendCalls("ChangeConfiguration", ["key": "HeartbeatInterval", "value": "soon"])?.resultPayload == ["status": "Rejected"])
        #expect(h.backendCalls("ChangeConfiguration", ["key": "NumberOfConnectors", "value": "2"])?.resultPayload == ["status": "Rejected"])
        #expect(h.backendCalls("ChangeConfiguration", ["key": "Whatever", "value": "2"])?.resultPayload == ["status": "NotSupported"])
        let before = h.sent("StatusNotification").count
        #expect(h.backendCalls("TriggerMessage", ["requestedMessage": "StatusNotification"])?.resultPayload == ["status": "Accepted"])
        h.tick()
        #expect(h.sent("StatusNotification").count == before + 1)
        #expect(h.backendCalls("TriggerMessage", ["requestedMessage": "FirmwareStatusNotification"])?.resultPayload == ["status": "NotImplemented"])
        // a charger that is not restarted on request (Modbus, simulated) refuses; an OCPP one takes it
        #expect(h.backendCalls("Reset", ["type": "Soft"])?.resultPayload == ["status": "Rejected"])
        #expect(h.commands.isEmpty)
        var ocpp = Harness(settings: Harness.settings { $0.canReset = true })
        ocpp.connect()
        #expect(ocpp.backendCalls("Reset", ["type": "Soft"])?.resultPayload == ["status": "Accepted"])
        #expect(ocpp.commands == [.reset("Soft")])
        #expect(h.backendCalls("UnlockConnector", ["connectorId": 1])?.errorCode == "NotImplemented")
        #expect(h.backendCalls("RemoteStartTransaction", ["connectorId": 1])?.errorCode == "OccurenceConstraintViolation")
    }

    /// An absurd limit is a bad profile (it would trap converting to Int); a one-phase W profile never
    /// gives a car drawing on three phases that power on each.
    @Test func absurdLimitsAreRefusedAndAWattLimitCountsThePhasesInUse() throws {
        let received = Date(timeIntervalSince1970: 1_788_000_000)
        let huge = try BackendProfile.parse(Self.profile(periods: [["startPeriod": 0, "limit": 1e300]]), received: received)
        #expect(huge.problem != nil)
        let onePhase = try BackendProfile.parse(Self.profile(unit: "W", periods: [["startPeriod": 0, "limit": 6900, "numberPhases": 1]], kind: "Relative", start: nil),
                                                received: received)
        #expect(onePhase.problem == nil)
        let wall = Date(timeIntervalSince1970: 1_788_000_100)
        #expect(onePhase.amperes(at: wall, transactionStart: nil, phases: 3) == 10)   // 6900 W over 3 × 230 V, not 30 A per phase
        #expect(onePhase.amperes(at: wall, transactionStart: nil, phases: 1) == 30)
    }
}
