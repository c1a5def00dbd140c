import EnergyControl
import Foundation
import OCPP
import OCPPUplink
import Testing

@Suite("OCPP uplink: boot, status, transactions and the journal")
struct UplinkTransactionTests {
    @Test func bootComesFirstThenStatusAndHeartbeatsAtTheBackendsInterval() {
        var h = Harness()
        h.respond = { action, payload, next in action == "BootNotification" ? nil : Harness.acceptAll(action, payload, &next) }
        h.connect()
        #expect(h.calls.map(\.action) == ["BootNotification"])
        #expect(h.sent("BootNotification").first?["chargePointSerialNumber"] == "CB-1")
        h.tick(after: 5)
        #expect(h.calls.count == 1)   // nothing but the boot until it is answered
        h.respond = Harness.acceptAll
        h.disconnect()
        h.connect()
        #expect(h.machine.booted)
        #expect(h.sent("StatusNotification").last?["status"] == "Available")
        #expect(h.machine.heartbeatInterval == 60)
        h.tick(after: 59)
        #expect(h.sent("Heartbeat").isEmpty)
        h.tick(after: 1)
        #expect(h.sent("Heartbeat").count == 1)
    }

    @Test func aChargeIsReportedOnlyAfterItsStartTransaction() {
        var h = Harness()
        h.connect()
        h.respond = { action, payload, next in action == "StartTransaction" ? nil : Harness.acceptAll(action, payload, &next) }
        // plugged and charging within one second: the start is unanswered, Charging waits
        h.plug()
        h.status.state = .charging
        h.tick(after: 1)
        h.tick(after: 1)
        #expect(h.sent("StartTransaction").count == 1)
        #expect(!h.sent("StatusNotification").contains { $0["status"] == "Charging" })
        // the backend answers the start: Charging follows it
        h.respond = Harness.acceptAll
        guard let id = h.machine.outstandingId else { Issue.record("no StartTransaction outstanding"); return }
        h.take(h.machine.received(Frame.result(id: id, payload: ["transactionId": 7, "idTagInfo": ["status": "Accepted"]]).text, now: h.now, wall: h.wall))
        h.tick(after: 1)
        let order = h.calls.map { $0.action == "StatusNotification" ? "Status:\($0.payload["status"]?.string ?? "")" : $0.action }
        let start = order.firstIndex(of: "StartTransaction"), charging = order.firstIndex(of: "Status:Charging")
        #expect(start != nil && charging != nil && start! < charging!, "\(order)")
    }

    @Test func aBootThatIsNotAcceptedIsTriedAgainAfterTheInterval() {
        var h = Harness()
        h.respond = { action, _, _ in action == "BootNotification" ? ["status": "Pending", "interval": 20, "currentTime": "2026-09-21T00:00:00Z"] : [:] }
        h.connect()
        h.tick(after: 19)
        #expect(h.sent("BootNotification").count == 1)
        h.tick(after: 1)
        #expect(h.sent("BootNotification").count == 2)
        #expect(!h.machine.booted)
    }

    @Test func aSessionIsATransactionWithMeterValuesCarryingTheBackendsId() {
        var h = Harness()
        h.connect()
        h.plug()
        h.tick(after: 1)
        let start = h.sent("StartTransaction")
        #expect(start.first?["idTag"] == "chargebridge")
        #expect(start.first?["meterStart"] == 1000)
        #expect(h.sent("StatusNotification").last?["status"] == "Preparing")
        h.status.state = .charging
        h.status.currents = [16, 16, 16]
        h.status.energyWh = 1500
        h.tick(after: 10)
        let values = h.sent("MeterValues")
        #expect(values.count == 1)
        #expect(values.first?["transactionId"] == 42)
        let sampled = values.first?["meterValue"]?.array?.first?["sampledValue"]?.array ?? []
        #expect(sampled.contains { $0["measurand"] == "Current.Import" && $0["phase"] == "L2" && $0["value"] == "16" })
        #expect(sampled.contains { $0["measurand"] == "Energy.Active.Import.Register" && $0["value"] == "1500" })
        #expect(sampled.contains { $0["measurand"] == "Power.Active.Import" && $0["value"] == "11040" })
        h.status.energyWh = 2000
        h.unplug()
        h.tick(after: 3)
        let stop = h.sent("StopTransaction")
        #expect(stop.first?["transactionId"] == 42)
        #expect(stop.first?["meterStop"] == 2000)
        #expect(stop.first?["reason"] == "EVDisconnected")
        #expect(h.machine.queued == 0)
        #expect(h.store.entries.isEmpty && h.store.remoteIds.isEmpty && h.store.state["open"] == nil)
    }

    @Test func anOutageKeepsTheTransactionInOrderAndTheStartsIdReachesLaterMessages() {
        var h = Harness()
        h.connect()
        h.disconnect()
        h.plug()
        h.tick(after: 1)
        for second in 1...5 {
            h.status.energyWh = 1000 + Double(second) * 100
            h.tick(after: 10)
        }
        h.unplug()
        h.tick(after: 1)
        #expect(h.sent("StartTransaction").isEmpty)
        #expect(h.machine.queued == 7)
        h.connect()
        #expect(h.calls.map(\.action).filter { $0.hasSuffix("Transaction") || $0 == "MeterValues" }
            == ["StartTransaction", "MeterValues", "MeterValues", "MeterValues", "MeterValues", "MeterValues", "StopTransaction"])
        let energies = h.sent("MeterValues").compactMap { $0["meterValue"]?.array?.first?["sampledValue"]?.array?.last?["value"]?.string }
        #expect(energies == ["1100", "1200", "1300", "1400", "1500"])
        #expect(h.sent("MeterValues").allSatisfy { $0["transactionId"] == 42 })
        #expect(h.sent("StopTransaction").first?["transactionId"] == 42)
        #expect(h.machine.queued == 0)
    }

    @Test func aKilledBridgeResumesFromWhatItStoredNothingLostNothingTwice() {
        var h = Harness()
        h.connect()
        h.plug()
        h.tick(after: 1)   // started and answered: id 42
        h.disconnect()
        for second in 1...3 {
            h.status.energyWh = 1000 + Double(second) * 100
            h.tick(after: 10)
        }
        // kill -9: only the store survives
        var again = Harness(restored: h.store.restored)
        again.status = h.status
        again.now = h.now
        again.nextTransactionId = 100
        again.connect()
        #expect(again.sent("StartTransaction").isEmpty)   // the transaction goes on
        // the three kept readings in order, then a fresh one at the restart
        let energies = again.sent("MeterValues").compactMap { $0["meterValue"]?.array?.first?["sampledValue"]?.array?.last?["value"]?.string }
        #expect(energies == ["1100", "1200", "1300", "1300"])
        #expect(again.sent("MeterValues").allSatisfy { $0["transactionId"] == 42 })
        again.status.energyWh = 1500
        again.unplug()
        again.tick(after: 1)
        #expect(again.sent("StopTransaction").first?["transactionId"] == 42)
        #expect(again.sent("StopTransaction").first?["meterStop"] == 1500)
    }

    @Test func aStartStillUnansweredAtTheKillGetsItsIdAfterTheRestart() {
        var h = Harness()
        h.connect()
        h.disconnect()
        h.plug()
        h.tick(after: 1)
        h.tick(after: 10)
        var again = Harness(restored: h.store.restored)
        again.status = h.status
        again.now = h.now
        again.connect()
        #expect(again.sent("StartTransaction").count == 1)
        again.tick(after: 10)
        #expect(again.sent("MeterValues").count == 3)   // the kept one, one at the restart, one 10 s later
        #expect(again.sent("MeterValues").allSatisfy { $0["transactionId"] == 42 })
        // a new start after the restart gets a number after the old ones
        again.unplug()
        again.tick(after: 1)
        again.plug()
        again.tick(after: 1)
        #expect(again.sent("StartTransaction").count == 2)
        #expect(again.sent("MeterValues").count == 3)
    }

    @Test func aFullJournalThinsTheOldestMeterValuesAndKeepsStartAndStop() {
        var h = Harness(settings: Harness.settings { $0.capacity = 10; $0.meterInterval = 1 })
        h.plug()
        for second in 1...40 {
            h.status.energyWh = Double(1000 + second)
            h.tick(after: 1)
        }
        h.unplug()
        h.tick(after: 1)
        let entries = h.machine.journal.entries
        #expect(entries.count <= 11)
        #expect(entries.first?.action == "StartTransaction")
        #expect(entries.last?.action == "StopTransaction")
        #expect(h.store.entries.count == entries.count)
        // the newest readings are all there; the older ones thinned
        let energies = entries.filter { $0.action == "MeterValues" }
            .compactMap { $0.payload["meterValue"]?.array?.first?["sampledValue"]?.array?.last?["value"]?.string }.compactMap(Int.init)
        #expect(energies == energies.sorted())
        #expect(energies.last == 1040)
    }

    @Test func aCallErrorIsTriedAgainAfterTheRetryIntervalThenTheMessageGoes() {
        var h = Harness()
        h.connect()
        h.respond = { action, payload, next in action == "MeterValues" ? nil : Harness.acceptAll(action, payload, &next) }
        h.plug()
        h.tick(after: 1)
        h.tick(after: 10)
        #expect(h.machine.queued == 1)
        // OCPP 1.6 TransactionMessageRetryInterval (30 s): the n-th retry after n × 30 s
        for (attempt, wait) in [(1, 30.0), (2, 60.0)] {
            guard let id = h.machine.outstandingId else { Issue.record("attempt \(attempt): nothing outstanding"); return }
            h.take(h.machine.received(Frame.error(id: id, code: "InternalError", description: "busy", details: [:]).text, now: h.now, wall: h.wall))
            let sent = h.sent("MeterValues").count
            h.tick(after: wait - 1)
            #expect(h.sent("MeterValues").count == sent, "attempt \(attempt): sent again too early")
            #expect(h.machine.queued >= 1)                      // the later readings wait behind it
            h.tick(after: 1)
            #expect(h.sent("MeterValues").count == sent + 1, "attempt \(attempt): not sent again")
        }
        // the third error (TransactionMessageAttempts 3) drops it; the readings behind it go on
        let queued = h.machine.queued
        guard let id = h.machine.outstandingId else { Issue.record("no third attempt"); return }
        h.take(h.machine.received(Frame.error(id: id, code: "InternalError", description: "busy", details: [:]).text, now: h.now, wall: h.wall))
        #expect(h.machine.queued == queued - 1)
        #expect(h.machine.outstandingId != nil)
    }

    @Test func theBackendSetsTheAttemptsAndTheIntervalAndTheyAreKept() {
        var h = Harness()
        h.connect()
        #expect(h.backendCalls("ChangeConfiguration", ["key": "TransactionMessageAttempts", "value": "1"])?.resultPayload == ["status": "Accepted"])
        #expect(h.backendCalls("ChangeConfiguration", ["key": "TransactionMessageRetryInterval", "value": "5"])?.resultPayload == ["status": "Accepted"])
        #expect(h.backendCalls("ChangeConfiguration", ["key": "TransactionMessageAttempts", "value": "0"])?.resultPayload == ["status": "Rejected"])
        let restarted = UplinkMachine(settings: Harness.settings(), restored: h.store.restored)
        #expect(restarted.transactionAttempts == 1 && restarted.transactionRetryInterval == 5)
        // a damaged row is not taken (nor trapped on)
        let damaged = UplinkMachine(settings: Harness.settings(), restored: UplinkRestored(state: ["HeartbeatInterval": 1e300, "TransactionMessageAttempts": 0.5]))
        #expect(damaged.heartbeatInterval == Harness.settings().heartbeat && damaged.transactionAttempts == 3)
        // one attempt: the first CALLERROR drops the message
        h.respond = { action, payload, next in action == "StartTransaction" ? nil : Harness.acceptAll(action, payload, &next) }
        h.plug()
        h.tick(after: 1)
        guard let id = h.machine.outstandingId else { Issue.record("no StartTransaction outstanding"); return }
        h.take(h.machine.received(Frame.error(id: id, code: "InternalError", description: "busy", details: [:]).text, now: h.now, wall: h.wall))
        #expect(!h.store.entries.values.contains { $0.action == "StartTransaction" })
    }
}
