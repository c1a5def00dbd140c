import StorageModel
import EnergyControl
import StorageModel

/// Turns what the chargers report into charging sessions: opened when a vehicle is plugged in,
/// energy split by time-of-use period, checkpointed every `checkpointInterval`, closed when it
/// leaves. Pure: statuses and wall-clock time in, storage changes out.
///
/// The charger's own session registers are the truth (session energy, session duration), so a
/// session that ran on while the bridge was down is resumed with the right start and energy, and
/// one that ended meanwhile is closed with the charger's final figures.
public struct SessionTracker: Sendable {
    public struct Open: Sendable {
        public var record: SessionRecord
        /// The charger's session energy when last seen (the next delta starts there).
        var lastEnergy: Double
        var lastCheckpoint: Double
        var dirty = false
        /// Found open in the database at start: not yet matched against the charger.
        var unverified = false
        /// The tariff period of the last report: a change is checkpointed at once, so a restart
        /// never moves energy of a finished period to `unknown`.
        var lastPeriod: String?
        /// The last report's time and whether energy flowed then: the effective charging time
        /// counts the intervals that began charging.
        var lastSeen: Double
        var wasCharging: Bool
    }

    /// How long an open session may go without a checkpoint while energy flows.
    let checkpointInterval: Double
    /// How far the start a charger implies may differ from the stored one for the same session.
    let sameSessionTolerance: Double = 120
    public private(set) var open: [String: Open] = [:]

    public init(checkpointInterval: Double = 5) {
        self.checkpointInterval = checkpointInterval
    }

    /// Sessions the database still holds open from the last run; each is matched against its
    /// charger's first report (resumed, or closed as `recovered`).
    public mutating func resume(_ sessions: [SessionRecord]) {
        for session in sessions {
            open[session.charger] = Open(record: session, lastEnergy: session.energyWh, lastCheckpoint: session.updatedAt, unverified: true,
                                         lastSeen: session.updatedAt, wasCharging: false)
        }
    }

    /// A charger's report at wall-clock `now` (Unix seconds); `period` is the tariff period in force.
    /// `serial`: the configured serial, used when the charger reports none; `name`: the station name.
    public mutating func observe(charger: String, status: ChargerStatus, now: Double, period: String, serial: String = "",
                                 name: String = "") -> [StorageChange] {
        guard status.online else { return [] }   // nothing is known while the charger is away
        var changes: [StorageChange] = []
        if var session = open[charger], session.unverified {
            if status.plugged, isSame(session.record, status, now: now) {
                // what it delivered while the bridge was down cannot be placed in a tariff period
                session.unverified = false
                let before = session.record.energyWh
                account(&session, status: status, period: Self.unknownPeriod, now: now)
                if session.record.energyWh > before + 0.5 {
                    note(&session.record, "\(Int((session.record.energyWh - before).rounded())) Wh delivered while the bridge was down (time-of-use period unknown)")
                }
                open[charger] = session
            } else {
                changes.append(.update(recovered(session.record, status: status, now: now)))
                open[charger] = nil
            }
        }
        if var session = open[charger] {
            // a session energy that went back means the charger started a new session (or was reset)
            let restarted = status.plugged && status.sessionEnergyWh + 1 < session.lastEnergy
            if status.plugged && !restarted {
                if let last = session.lastPeriod, last != period, session.dirty {
                    session.record.updatedAt = now
                    session.lastCheckpoint = now
                    session.dirty = false
                    changes.append(.update(session.record))
                }
                session.lastPeriod = period
                account(&session, status: status, period: period, now: now)
                if session.dirty, now - session.lastCheckpoint >= checkpointInterval {
                    session.record.updatedAt = now
                    session.lastCheckpoint = now
                    session.dirty = false
                    changes.append(.update(session.record))
                }
                open[charger] = session
                return changes
            }
            if !restarted { account(&session, status: status, period: period, now: now) }
            session.record.endedAt = now
            session.record.updatedAt = now
            session.record.endReason = restarted ? "restarted" : "unplugged"
            if restarted { note(&session.record, "the charger began a new session without an unplug (its session energy went back)") }
            changes.append(.update(session.record))
            open[charger] = nil
        }
        if status.plugged {
            // started before the bridge saw it: the charger knows since when and how much it delivered
            let started = status.sessionSeconds > 0 ? now - status.sessionSeconds : now
            var record = SessionRecord(charger: charger, startedAt: started, energyWh: max(0, status.sessionEnergyWh), idTag: status.idTag,
                                       maxCurrent: status.currents.max() ?? 0, updatedAt: now)
            record.chargerSerial = status.serial.isEmpty ? serial : status.serial
            record.stationName = name
            record.connector = status.connector
            record.chargerTransaction = status.transactionId
            record.chargeType = status.idTag.isEmpty ? SessionRecord.ChargeType.free : SessionRecord.ChargeType.badge
            if status.sessionSeconds > Self.lateStart {
                note(&record, "began \(Int(status.sessionSeconds.rounded())) s before the bridge saw it")
            }
            // the charger's meter when the session began: now, less what the session already took
            if status.energyWh > 0 {
                record.meterStartWh = status.energyWh - max(0, status.sessionEnergyWh)
                record.meterEndWh = status.energyWh
            }
            if record.energyWh > 0 { record.periodEnergy[period] = record.energyWh }
            open[charger] = Open(record: record, lastEnergy: record.energyWh, lastCheckpoint: now, lastSeen: now, wasCharging: status.charging)
            changes.append(.open(record))
        }
        return changes
    }

    /// Closes every open session's checkpoint (at a clean stop): what is written is current.
    public mutating func checkpointAll(now: Double) -> [StorageChange] {
        var changes: [StorageChange] = []
        for (charger, var session) in open where session.dirty {
            session.record.updatedAt = now
            session.lastCheckpoint = now
            session.dirty = false
            open[charger] = session
            changes.append(.update(session.record))
        }
        return changes
    }

    private func account(_ session: inout Open, status: ChargerStatus, period: String, now: Double) {
        // an interval counts as charging time when it began charging (time the bridge did not watch does not count)
        if session.wasCharging, !session.unverified, now > session.lastSeen {
            session.record.effectiveChargeSeconds += now - session.lastSeen
            session.dirty = true
        }
        session.lastSeen = now
        session.wasCharging = status.charging
        let delta = status.sessionEnergyWh - session.lastEnergy
        if status.energyWh > 0, status.energyWh > (session.record.meterEndWh ?? 0) {
            if session.record.meterStartWh == nil { session.record.meterStartWh = status.energyWh - max(0, status.sessionEnergyWh) }
            session.record.meterEndWh = status.energyWh
        }
        if delta > 0 {
            session.record.energyWh += delta
            session.record.periodEnergy[period, default: 0] += delta
            session.lastEnergy = status.sessionEnergyWh
            session.dirty = true
        }
        let drawn = status.currents.filter(\.isFinite).max() ?? 0
        if drawn > session.record.maxCurrent {
            session.record.maxCurrent = drawn
            session.dirty = true
        }
        if !status.idTag.isEmpty, status.idTag != session.record.idTag {
            session.record.idTag = status.idTag
            session.record.chargeType = SessionRecord.ChargeType.badge
            session.dirty = true
        }
        if !status.transactionId.isEmpty, status.transactionId != session.record.chargerTransaction {
            session.record.chargerTransaction = status.transactionId
            session.dirty = true
        }
    }

    /// The stored session and the charger's current one are the same when the start the charger
    /// implies matches (or, without a duration, when its energy did not go back).
    private func isSame(_ record: SessionRecord, _ status: ChargerStatus, now: Double) -> Bool {
        if status.sessionSeconds > 0 { return abs(now - status.sessionSeconds - record.startedAt) <= sameSessionTolerance }
        return status.sessionEnergyWh + 1 >= record.energyWh
    }

    /// A session that ended while the bridge was down. If the charger still shows it (unplugged,
    /// session registers kept, a duration that ends after the last checkpoint), its own end and
    /// energy are used; otherwise the last checkpoint.
    private func recovered(_ stored: SessionRecord, status: ChargerStatus, now: Double) -> SessionRecord {
        var record = stored
        record.endReason = "recovered"
        record.endedAt = stored.updatedAt
        var source = "the last checkpoint"
        if !status.plugged, status.sessionSeconds > 0, status.sessionEnergyWh + 1 >= stored.energyWh {
            let end = stored.startedAt + status.sessionSeconds
            if end >= stored.updatedAt - sameSessionTolerance, end <= now + 1 {
                let unseen = max(0, status.sessionEnergyWh - stored.energyWh)
                record.energyWh += unseen
                if unseen > 0 { record.periodEnergy[Self.unknownPeriod, default: 0] += unseen }
                record.endedAt = max(end, stored.updatedAt)
                source = "the charger's own session registers"
            }
        }
        note(&record, "ended while the bridge was down; end and energy from \(source)")
        record.updatedAt = now
        return record
    }

    /// The period column of energy delivered while the bridge was not watching.
    public static let unknownPeriod = "unknown"

    /// A session the charger reports as older than this when first seen began before the bridge watched.
    static let lateStart: Double = 30

    /// Adds a sentence to the record's comment (kept short: a spreadsheet cell).
    private func note(_ record: inout SessionRecord, _ text: String) {
        guard record.comment.count < 400 else { return }
        record.comment += (record.comment.isEmpty ? "" : "; ") + text
    }
}
