import Authorization
import EnergyControl
import Foundation
import OCPP
import OCPPUplink
import Testing

/// `backend` mode for an OCPP charge point behind the bridge: its tags asked of the backend.
@Suite("OCPP uplink: tags asked for a charge point")
struct UplinkAskingTests {
    @Test func theBackendsAnswerComesBackUnderTheTicketAndTheTransactionIsNotAskedAgain() {
        var h = Harness()
        h.respond = { action, payload, next in
            guard action == "Authorize" else { return Harness.acceptAll(action, payload, &next) }
            return payload["idTag"] == "BAD1" ? ["idTagInfo": ["status": "Blocked"]]
                : ["idTagInfo": ["status": "Accepted", "parentIdTag": "FLEET", "expiryDate": "2027-01-01T00:00:00Z"]]
        }
        h.connect()
        h.take(h.machine.ask(tag: "GOOD1", ticket: 1, now: h.now))
        h.take(h.machine.ask(tag: "BAD1", ticket: 2, now: h.now))
        #expect(h.sent("Authorize").map { $0["idTag"] } == ["GOOD1", "BAD1"])
        #expect(h.tagAnswers.map(\.ticket) == [1, 2])
        #expect(h.tagAnswers.first?.answer == .answered(.accepted, parentIdTag: "FLEET", expiry: OCPPTime.parse("2027-01-01T00:00:00Z")))
        #expect(h.tagAnswers.last?.answer == .answered(.blocked))
        // the charge point starts its transaction with the tag: the uplink takes the answer it has
        h.plug(tag: "GOOD1")
        h.tick(after: 1)
        #expect(h.sent("Authorize").count == 2)
        #expect(h.sent("StartTransaction").first?["idTag"] == "GOOD1")
        // a minute later the answer no longer stands in: the next check asks again
        h.unplug()
        h.tick(after: 61)
        h.plug(tag: "GOOD1")
        h.tick(after: 1)
        #expect(h.sent("Authorize").count == 3)
    }

    @Test func withoutABootedUplinkOrWithoutAnAnswerTheTagIsUnreachable() {
        var h = Harness()
        h.take(h.machine.ask(tag: "T1", ticket: 1, now: h.now))       // not connected
        #expect(h.tagAnswers == [TagAnswer(ticket: 1, tag: "T1", answer: .unreachable)])
        #expect(h.calls.isEmpty)
        h.connect()
        h.respond = { action, payload, next in
            action == "Authorize" ? nil : Harness.acceptAll(action, payload, &next)
        }
        h.take(h.machine.ask(tag: "T2", ticket: 2, now: h.now))
        h.tick(after: 31)                                                  // the call times out
        #expect(h.tagAnswers.last == TagAnswer(ticket: 2, tag: "T2", answer: .unreachable))
        // a CALLERROR or an answer without a status is no answer either
        #expect(UplinkMachine.backendAnswer(.failure(OCPPFailure(.internalError, "down"))) == .unreachable)
        #expect(UplinkMachine.backendAnswer(.success(["idTagInfo": [:]])) == .unreachable)
        #expect(UplinkMachine.backendAnswer(.success(["idTagInfo": ["status": "ConcurrentTx"]])) == .answered(.invalid))
    }

    /// An OCPP charger runs its own transactions: the backend's follows it, with its tag.
    @Test func aChargerWithTransactionsOfItsOwnIsFollowedNotStartedAtPlugIn() {
        var h = Harness(settings: Harness.settings { $0.followsTransactions = true })
        h.connect()
        // plugged, still showing the tag of its last transaction: nothing starts, nothing is asked
        h.plug(tag: "OLD")
        h.tick(after: 1)
        #expect(h.sent("Authorize").isEmpty && h.sent("StartTransaction").isEmpty)
        #expect(h.machine.cap(wall: h.wall) == nil)          // it delivers nothing before its own start anyway
        // its transaction starts with a tag: asked, then forwarded with that tag
        h.status.transactionId = "7"
        h.status.idTag = "CARD"
        h.tick(after: 1)
        h.tick()
        #expect(h.sent("Authorize").map { $0["idTag"] } == ["CARD"])
        #expect(h.sent("StartTransaction").map { $0["idTag"] } == ["CARD"])
        // the bridge's own tag (a local autostart) is forwarded without asking
        var own = Harness(settings: Harness.settings { $0.followsTransactions = true })
        own.connect()
        own.plug(tag: own.machine.settings.defaultIdTag)
        own.status.transactionId = "8"
        own.tick(after: 1)
        #expect(own.sent("Authorize").isEmpty && own.sent("StartTransaction").first?["idTag"] == .string(own.machine.settings.defaultIdTag))
    }

    /// The charger shows tags in the list's form (upper case here): the answer is kept in it, and
    /// the bridge's own tag is known in it too.
    @Test func answersAreKeptInTheFormTheChargerShowsTags() {
        var h = Harness(settings: Harness.settings { $0.followsTransactions = true; $0.tagFormat = UIDFormat(letterCase: .upper) })
        h.connect()
        h.take(h.machine.ask(tag: "ab12", ticket: 1, now: h.now))
        h.plug(tag: "AB12")
        h.status.transactionId = "3"
        h.tick(after: 1)
        #expect(h.sent("Authorize").map { $0["idTag"] } == ["ab12"])
        #expect(h.sent("StartTransaction").first?["idTag"] == "AB12")
        var own = Harness(settings: Harness.settings { $0.followsTransactions = true; $0.tagFormat = UIDFormat(letterCase: .upper) })
        own.connect()
        own.plug(tag: "CHARGEBRIDGE")
        own.status.transactionId = "4"
        own.tick(after: 1)
        #expect(own.sent("Authorize").isEmpty && own.sent("StartTransaction").count == 1)
    }

    @Test func asksWaitingForASlowBackendAreBounded() {
        var h = Harness()
        h.connect()
        h.respond = { action, payload, next in action == "Authorize" ? nil : Harness.acceptAll(action, payload, &next) }
        for ticket in 1...20 { h.take(h.machine.ask(tag: "T\(ticket)", ticket: ticket, now: h.now)) }
        #expect(h.tagAnswers.count == 20 - 8 && h.tagAnswers.allSatisfy { $0.answer == .unreachable })
    }
}
