import ControlCore
import StorageModel
import EnergyControl
import Storage
import Testing

@Suite("Session tracking")
struct SessionTrackerTests {
    func status(plugged: Bool, energy: Double, seconds: Double, amps: Double = 16, tag: String = "TAG", online: Bool = true) -> ChargerStatus {
        var status = ChargerStatus()
        status.cable = plugged ? .vehicleLocked : .noCable
        status.state = plugged ? .charging : .available
        status.sessionEnergyWh = energy
        status.sessionSeconds = seconds
        status.currents = plugged ? [amps, amps, amps] : [0, 0, 0]
        status.idTag = tag
        status.online = online
        return status
    }

    func records(_ changes: [StorageChange]) -> [SessionRecord] {
        changes.compactMap { if case .open(let r) = $0 { r } else if case .update(let r) = $0 { r } else { nil } }
    }

    @Test func aSessionOpensSplitsEnergyByPeriodCheckpointsAndCloses() {
        var tracker = SessionTracker(checkpointInterval: 15)
        let opened = tracker.observe(charger: "cp1", status: status(plugged: true, energy: 0, seconds: 0), now: 1000, period: "off-peak")
        #expect(records(opened).map(\.startedAt) == [1000])
        #expect(tracker.observe(charger: "cp1", status: status(plugged: true, energy: 100, seconds: 10), now: 1010, period: "off-peak").isEmpty)
        // the tariff period changes: what the finished period holds is checkpointed at once, so a
        // kill right after it never moves that energy to `unknown`
        let boundary = records(tracker.observe(charger: "cp1", status: status(plugged: true, energy: 200, seconds: 20), now: 1020, period: "peak"))
        #expect(boundary.count == 1 && boundary[0].energyWh == 100 && boundary[0].periodEnergy == ["off-peak": 100] && boundary[0].endedAt == nil)
        #expect(tracker.open["cp1"]?.record.periodEnergy == ["off-peak": 100, "peak": 100])
        // and every checkpoint interval while energy flows
        let checkpoint = records(tracker.observe(charger: "cp1", status: status(plugged: true, energy: 240, seconds: 24), now: 1035, period: "peak"))
        #expect(checkpoint.count == 1 && checkpoint[0].energyWh == 240 && checkpoint[0].periodEnergy == ["off-peak": 100, "peak": 140])
        let closed = records(tracker.observe(charger: "cp1", status: status(plugged: false, energy: 260, seconds: 25), now: 1036, period: "peak"))
        #expect(closed.count == 1)
        #expect(closed[0].endedAt == 1036 && closed[0].endReason == "unplugged" && closed[0].energyWh == 260 && closed[0].maxCurrent == 16)
        #expect(closed[0].periodEnergy.values.reduce(0, +) == closed[0].energyWh)
        #expect(tracker.open.isEmpty)
    }

    @Test func sessionsKeepTheChargersMeterReadingsAndSerial() {
        var tracker = SessionTracker()
        var first = status(plugged: true, energy: 500, seconds: 300)
        first.energyWh = 1_000_500
        first.serial = "EVC08-123"
        let opened = records(tracker.observe(charger: "cp1", status: first, now: 2000, period: "standard", serial: "configured"))
        #expect(opened.first?.meterStartWh == 1_000_000 && opened.first?.meterEndWh == 1_000_500 && opened.first?.chargerSerial == "EVC08-123")
        var later = status(plugged: false, energy: 700, seconds: 400)
        later.energyWh = 1_000_700
        let closed = records(tracker.observe(charger: "cp1", status: later, now: 2100, period: "standard"))
        #expect(closed.first?.meterStartWh == 1_000_000 && closed.first?.meterEndWh == 1_000_700 && closed.first?.energyWh == 700)
        // a charger that reports no serial: the configured one
        let other = records(tracker.observe(charger: "cp2", status: status(plugged: true, energy: 0, seconds: 0), now: 2000, period: "standard", serial: "configured"))
        #expect(other.first?.chargerSerial == "configured" && other.first?.meterStartWh == nil)
    }

    @Test func aSessionSeenLateStartsWhenTheChargerSaysAndAnOfflineChargerChangesNothing() {
        var tracker = SessionTracker()
        let opened = records(tracker.observe(charger: "cp1", status: status(plugged: true, energy: 500, seconds: 300), now: 2000, period: "standard"))
        #expect(opened.first?.startedAt == 1700 && opened.first?.energyWh == 500 && opened.first?.periodEnergy == ["standard": 500])
        #expect(tracker.observe(charger: "cp1", status: status(plugged: false, energy: 0, seconds: 0, online: false), now: 2100, period: "standard").isEmpty)
        #expect(tracker.open["cp1"] != nil)
    }

    @Test func aSessionStillRunningAfterARestartIsResumedAndItsUnseenEnergyIsMarkedUnknown() {
        var tracker = SessionTracker()
        tracker.resume([SessionRecord(charger: "cp1", startedAt: 1000, energyWh: 300, periodEnergy: ["peak": 300], updatedAt: 1100)])
        // the charger says the session began 1 000 s ago (now 2 000): the same one
        let changes = tracker.observe(charger: "cp1", status: status(plugged: true, energy: 900, seconds: 1000), now: 2000, period: "peak")
        #expect(records(changes).map(\.energyWh) == [900])   // its checkpoint is overdue: written at once
        #expect(tracker.open["cp1"]?.record.periodEnergy == ["peak": 300, SessionTracker.unknownPeriod: 600])
        #expect(tracker.open["cp1"]?.record.startedAt == 1000)
    }

    @Test func aSessionThatEndedWhileTheBridgeWasDownIsClosedWithTheChargersFigures() {
        var tracker = SessionTracker()
        tracker.resume([SessionRecord(charger: "cp1", startedAt: 1000, energyWh: 300, periodEnergy: ["peak": 300], updatedAt: 1100)])
        // unplugged meanwhile; the charger kept its last session: 400 s, 450 Wh
        let closed = records(tracker.observe(charger: "cp1", status: status(plugged: false, energy: 450, seconds: 400), now: 2000, period: "peak"))
        #expect(closed.count == 1)
        #expect(closed[0].endReason == "recovered" && closed[0].endedAt == 1400 && closed[0].energyWh == 450)
        #expect(closed[0].periodEnergy == ["peak": 300, SessionTracker.unknownPeriod: 150])
    }

    @Test func aNewSessionAfterARestartClosesTheOldOneAtItsCheckpointAndOpensAnother() {
        var tracker = SessionTracker()
        tracker.resume([SessionRecord(charger: "cp1", startedAt: 1000, energyWh: 300, updatedAt: 1100)])
        let changes = records(tracker.observe(charger: "cp1", status: status(plugged: true, energy: 20, seconds: 30), now: 5000, period: "peak"))
        #expect(changes.count == 2)
        #expect(changes[0].endReason == "recovered" && changes[0].endedAt == 1100 && changes[0].energyWh == 300)
        #expect(changes[1].startedAt == 4970 && changes[1].endedAt == nil)
    }

    @Test func aSessionCounterThatGoesBackIsANewSession() {
        var tracker = SessionTracker()
        _ = tracker.observe(charger: "cp1", status: status(plugged: true, energy: 0, seconds: 0), now: 0, period: "p")
        _ = tracker.observe(charger: "cp1", status: status(plugged: true, energy: 800, seconds: 100), now: 100, period: "p")
        let changes = records(tracker.observe(charger: "cp1", status: status(plugged: true, energy: 5, seconds: 2), now: 101, period: "p"))
        #expect(changes.map(\.endReason) == ["restarted", nil])
        #expect(changes[0].energyWh == 800)
        #expect(changes[0].comment == "the charger began a new session without an unplug (its session energy went back)")
    }

    /// The charging data record's columns (Schneider EV Charging Expert §3.3.1): station name,
    /// connector, type of charge, effective charging time, the charger's transaction number, comment.
    @Test func aChargingDataRecordHasItsStationConnectorTypeEffectiveTimeAndComment() {
        var tracker = SessionTracker(checkpointInterval: 1000)
        var report = status(plugged: true, energy: 0, seconds: 0, tag: "")
        report.connector = 2
        let opened = records(tracker.observe(charger: "cp1", status: report, now: 0, period: "p", name: "Carport left"))
        #expect(opened.first?.stationName == "Carport left" && opened.first?.connector == 2 && opened.first?.chargeType == "free")
        #expect(opened.first?.comment == "" && opened.first?.effectiveChargeSeconds == 0)
        // reports every 10 s: charging at 0…60, suspended by the car at 70…110, charging at 120…150,
        // unplugged at 160; an interval counts as its first report says: 0–70 and 120–160 = 110 s
        for time in stride(from: 10.0, through: 60, by: 10) {
            _ = tracker.observe(charger: "cp1", status: report, now: time, period: "p")
        }
        report.state = .suspendedEV
        for time in stride(from: 70.0, through: 110, by: 10) {
            _ = tracker.observe(charger: "cp1", status: report, now: time, period: "p")
        }
        report.state = .charging
        report.idTag = "04A1"          // authorised late (a badge after the plug): a badge charge
        report.transactionId = "4711"
        for time in stride(from: 120.0, through: 150, by: 10) {
            _ = tracker.observe(charger: "cp1", status: report, now: time, period: "p")
        }
        var gone = status(plugged: false, energy: 0, seconds: 0, tag: "")
        gone.connector = 2
        let closed = records(tracker.observe(charger: "cp1", status: gone, now: 160, period: "p"))
        #expect(closed.count == 1)
        #expect(closed.first?.effectiveChargeSeconds == 110, "\(closed.first?.effectiveChargeSeconds ?? -1)")
        #expect(closed.first?.chargeType == "badge" && closed.first?.idTag == "04A1" && closed.first?.chargerTransaction == "4711")
        #expect(closed.first?.comment == "")
    }

    @Test func unusualSessionsSayWhyInTheirComment() {
        var tracker = SessionTracker()
        let late = records(tracker.observe(charger: "cp1", status: status(plugged: true, energy: 500, seconds: 300), now: 2000, period: "p"))
        #expect(late.first?.comment == "began 300 s before the bridge saw it")
        #expect(late.first?.chargeType == "badge")
        var restarted = SessionTracker()
        restarted.resume([SessionRecord(charger: "cp1", startedAt: 1000, energyWh: 300, updatedAt: 1100)])
        let resumed = records(restarted.observe(charger: "cp1", status: status(plugged: true, energy: 900, seconds: 1000), now: 2000, period: "p"))
        #expect(resumed.first?.comment == "600 Wh delivered while the bridge was down (time-of-use period unknown)")
        var down = SessionTracker()
        down.resume([SessionRecord(charger: "cp1", startedAt: 1000, energyWh: 300, updatedAt: 1100)])
        let recovered = records(down.observe(charger: "cp1", status: status(plugged: false, energy: 450, seconds: 400), now: 2000, period: "p"))
        #expect(recovered.first?.comment == "ended while the bridge was down; end and energy from the charger's own session registers")
        var lost = SessionTracker()
        lost.resume([SessionRecord(charger: "cp1", startedAt: 1000, energyWh: 300, updatedAt: 1100)])
        let checkpoint = records(lost.observe(charger: "cp1", status: status(plugged: false, energy: 0, seconds: 0), now: 2000, period: "p"))
        #expect(checkpoint.first?.comment == "ended while the bridge was down; end and energy from the last checkpoint")
    }
}
