import Authorization
import EnergyControl
import Foundation
import OCPP
import StorageModel

/// One forwarded charger as an OCPP 1.6J charge point toward a CPO backend: boot, heartbeat,
/// status, transactions with meter values (kept in a journal until the backend answers them),
/// Authorize, and the backend's calls. Pure: time comes in as parameters, the caller carries out
/// the output (frames to send, database changes, commands for the local control, log lines).
public struct UplinkMachine: Sendable {
    public enum Command: Sendable, Equatable {
        /// The operator's `force` (MQTT): RemoteStartTransaction sets it, RemoteStopTransaction clears it.
        case force(Bool)
        case reset(String)
    }

    public struct Log: Sendable, Equatable {
        public enum Level: Sendable { case info, notice, warning }
        public var level: Level
        public var message: String
    }

    public struct Output: Sendable, Equatable {
        public var frames: [Frame] = []
        public var store: [UplinkStoreChange] = []
        public var commands: [Command] = []
        public var logs: [Log] = []
        /// Answers to `ask`.
        public var tagAnswers: [TagAnswer] = []
        public init() {}
        mutating func log(_ level: Log.Level, _ message: String) { logs.append(Log(level: level, message: message)) }
    }

    enum Authorization: Equatable {
        case none, pending(String), accepted(String), refused(String)
    }

    public let settings: UplinkSettings
    public private(set) var connected = false
    public private(set) var booted = false
    public private(set) var journal: UplinkJournal
    public internal(set) var profiles: BackendProfiles
    public internal(set) var open: UplinkTransaction?
    public internal(set) var heartbeatInterval: Double
    public internal(set) var meterInterval: Double
    /// OCPP 1.6 TransactionMessageAttempts / TransactionMessageRetryInterval: a transaction message
    /// the backend answers with a CALLERROR is sent this often in all, the n-th retry after n ×
    /// the interval; the rest of the journal waits behind it, in order.
    public internal(set) var transactionAttempts: Int
    public internal(set) var transactionRetryInterval: Double
    var journalRetryAt = -Double.infinity
    /// Why the charger is held at 0 A until its vehicle leaves (nil: it is not). Kept across
    /// restarts: a refused tag must not charge because the bridge restarted.
    public internal(set) var hold: String?
    var keptHold: String?
    var calls: OutgoingCalls
    var remoteIds: [Int64: Int]
    var errorAttempts: [Int64: Int] = [:]
    var authorization = Authorization.none
    /// Tags asked for a charge point behind the bridge, by ticket.
    var asked: [Int: String] = [:]
    var recentAnswers: [String: (accepted: Bool, at: Double)] = [:]
    var remoteStart: (tag: String, until: Double)?
    var lastStatus: ChargerStatus?
    var reported: String?
    var bootRetryAt = -Double.infinity
    var lastHeartbeat = -Double.infinity
    var lastMeter = -Double.infinity
    var statusCounter = 0

    public init(settings: UplinkSettings, restored: UplinkRestored = UplinkRestored()) {
        self.settings = settings
        journal = UplinkJournal(entries: restored.journal, capacity: settings.capacity)
        remoteIds = restored.remoteIds
        open = UplinkTransaction(restored.state["open"])
        if let open { journal.reserve(after: open.local) }
        if let last = restored.remoteIds.keys.max() { journal.reserve(after: last) }
        profiles = restored.state["profiles"].map(BackendProfiles.restore) ?? BackendProfiles()
        hold = restored.state["hold"]?.string
        keptHold = hold
        // kept values in the ranges ChangeConfiguration takes (a damaged row must not trap Int(_:))
        func kept(_ key: String, _ range: ClosedRange<Double>) -> Double? { restored.state[key]?.number.flatMap { range.contains($0) ? $0 : nil } }
        heartbeatInterval = kept("HeartbeatInterval", 0...86_400) ?? settings.heartbeat
        meterInterval = kept("MeterValueSampleInterval", 0...3_600) ?? settings.meterInterval
        transactionAttempts = kept("TransactionMessageAttempts", 1...10).flatMap { Int(exactly: $0) } ?? 3
        transactionRetryInterval = kept("TransactionMessageRetryInterval", 0...3_600) ?? 30
        calls = OutgoingCalls(prefix: settings.idPrefix, timeout: settings.callTimeout)
    }

    /// The charger's own identity once its driver reports one (an OCPP charge point's boot), else the configured one.
    var bootIdentity: UplinkIdentity {
        guard let status = lastStatus, !status.vendor.isEmpty else { return settings.identity }
        return UplinkIdentity(vendor: status.vendor, model: status.model.isEmpty ? settings.identity.model : status.model,
                              serial: status.serial.isEmpty ? settings.identity.serial : status.serial, firmware: status.firmware)
    }

    /// Messages waiting for the backend: the journal and the calls queued now.
    public var queued: Int { journal.count }

    /// The backend's cap on the charger at `wall` in amperes (0 while held or waiting for a
    /// start); nil: the backend sets no limit.
    public func cap(wall: Date) -> Int? {
        if hold != nil || waiting { return 0 }
        return profiles.limit(at: wall, transactionStart: open?.started, phases: lastStatus?.activePhases ?? 3)
    }

    /// A vehicle is plugged and its transaction has not started: an id tag is being checked, or
    /// (autostart off) nobody started it yet.
    var waiting: Bool {
        guard let status = lastStatus, status.online, status.plugged, open == nil else { return false }
        if case .pending = authorization { return true }
        // a charger with transactions of its own delivers nothing before it starts one
        return !settings.followsTransactions && !settings.autostart && remoteStart == nil && status.idTag.isEmpty
    }

    // MARK: - Connection

    /// The WebSocket is open: BootNotification first, nothing else until it is accepted.
    public mutating func connected(now: Double) -> Output {
        connected = true
        booted = false
        calls.reset()
        bootRetryAt = now
        var output = Output()
        finish(now: now, into: &output)
        return output
    }

    /// The WebSocket closed: calls not yet answered are forgotten, the journal stays.
    public mutating func disconnected(wall: Date) {
        connected = false
        booted = false
        calls.reset()
        asked = [:]     // the host's own wait for them runs out
        if case .pending(let tag) = authorization { authorization = offlineDecision(tag, wall: wall) }
    }

    // MARK: - Time and the charger's status

    /// Brings the uplink up to `now` with the charger's latest status (nil: none yet).
    public mutating func tick(status: ChargerStatus?, now: Double, wall: Date) -> Output {
        var output = Output()
        if let remote = remoteStart, now > remote.until { remoteStart = nil }
        if let expired = calls.expire(now: now) { handle(expired, now: now, wall: wall, into: &output) }
        if let status {
            lastStatus = status
            if status.online { observe(status, now: now, wall: wall, into: &output) }
            reportStatus(wall: wall)
        }
        if connected, !booted, calls.outstanding == nil, !calls.isQueued(key: "boot"), now >= bootRetryAt {
            calls.enqueue("BootNotification", UplinkMessages.bootNotification(bootIdentity), key: "boot", urgent: true)
        }
        if booted, heartbeatInterval > 0, now - lastHeartbeat >= heartbeatInterval, !calls.isQueued(key: "heartbeat") {
            lastHeartbeat = now
            calls.enqueue("Heartbeat", [:], key: "heartbeat")
        }
        finish(now: now, into: &output)
        return output
    }

    /// A StatusNotification when the charger's status (in 1.6 terms) changed since the last one.
    /// A status of a running transaction (Charging, Suspended…) waits until the backend has its
    /// StartTransaction: status messages go ahead of the journal, and a backend must not see a
    /// charge before its start.
    mutating func reportStatus(wall: Date) {
        guard booted, let status = lastStatus else { return }
        let mapped = UplinkMessages.status(status)
        let key = "\(mapped.status)/\(mapped.errorCode)"
        guard key != reported else { return }
        if ["Charging", "SuspendedEV", "SuspendedEVSE"].contains(mapped.status), let open, journal.entries.contains(where: { $0.seq == open.local }) { return }
        reported = key
        statusCounter += 1
        calls.enqueue("StatusNotification", UplinkMessages.statusNotification(status, wall: wall), key: "status-\(statusCounter)")
    }

    /// Starts and stops transactions as vehicles come and go; meter values while one runs.
    mutating func observe(_ status: ChargerStatus, now: Double, wall: Date, into output: inout Output) {
        guard status.plugged else {
            if open != nil { stop(reason: "EVDisconnected", status: status, wall: wall, into: &output) }
            hold = nil
            authorization = .none
            return
        }
        if open == nil, hold == nil {
            if let remote = remoteStart {
                start(tag: remote.tag, status: status, now: now, wall: wall, into: &output)
                remoteStart = nil
            } else if settings.followsTransactions {
                // its own transaction, once it runs: the bridge's own tag (a local autostart) as is
                if !status.transactionId.isEmpty, !status.idTag.isEmpty {
                    if status.idTag == settings.tagFormat.presented(settings.defaultIdTag) { start(tag: status.idTag, status: status, now: now, wall: wall, into: &output) }
                    else { authorize(status.idTag, status: status, now: now, wall: wall, into: &output) }
                }
            } else if !status.idTag.isEmpty {
                authorize(status.idTag, status: status, now: now, wall: wall, into: &output)
            } else if settings.autostart {
                start(tag: settings.defaultIdTag, status: status, now: now, wall: wall, into: &output)
            }
        }
        if open != nil, meterInterval > 0, now - lastMeter >= meterInterval {
            lastMeter = now
            append("MeterValues", UplinkMessages.meterValues(status, wall: wall), into: &output)
        }
    }

    /// A tag presented at the charger: the backend decides; while it is unreachable, the offline rule.
    mutating func authorize(_ tag: String, status: ChargerStatus, now: Double, wall: Date, into output: inout Output) {
        switch authorization {
        case .none:
            if let recent = recentAnswer(tag, now: now) {
                authorization = recent
                authorize(tag, status: status, now: now, wall: wall, into: &output)
            } else if booted {
                authorization = .pending(tag)
                calls.enqueue("Authorize", ["idTag": .string(UplinkMessages.clip(tag, 20))], key: "authorize")
            } else {
                authorization = offlineDecision(tag, wall: wall)
                output.log(.notice, "id tag \(tag) decided offline (\(settings.offline.rawValue)): \(authorization == .accepted(tag) ? "accepted" : "refused")")
                authorize(tag, status: status, now: now, wall: wall, into: &output)
            }
        case .pending:
            break
        case .accepted(let accepted):
            start(tag: accepted, status: status, now: now, wall: wall, into: &output)
        case .refused(let refused):
            hold = "id tag \(refused) not authorized"
            output.log(.notice, "id tag \(refused) not authorized: the charger is held at 0 A until the vehicle leaves")
        }
    }

    /// `local_list`: the site's authorization when the bridge hands it in (`localAuthorizer`), else
    /// the plain `localList`.
    func offlineDecision(_ tag: String, wall: Date) -> Authorization {
        switch settings.offline {
        case .acceptAll: .accepted(tag)
        case .reject: .refused(tag)
        case .localList:
            if let local = settings.localAuthorizer { local.decide(tag, wall).accepted ? .accepted(tag) : .refused(tag) }
            else { settings.localList.map { $0.contains(tag) } ?? true ? .accepted(tag) : .refused(tag) }
        }
    }

    mutating func start(tag: String, status: ChargerStatus, now: Double, wall: Date, into output: inout Output) {
        let entry = append("StartTransaction", UplinkMessages.startTransaction(idTag: tag, meterWh: status.energyWh, wall: wall), opening: true, into: &output)
        let transaction = UplinkTransaction(local: entry.seq, idTag: tag, meterStartWh: status.energyWh, started: wall)
        open = transaction
        lastMeter = now
        output.store.append(.keep("open", transaction.json))
        output.log(.info, "transaction \(entry.seq) started for id tag \(tag)")
    }

    mutating func stop(reason: String, status: ChargerStatus, wall: Date, into output: inout Output) {
        guard let transaction = open else { return }
        append("StopTransaction", UplinkMessages.stopTransaction(idTag: transaction.idTag, meterWh: status.energyWh, reason: reason, wall: wall), into: &output)
        open = nil
        profiles.transactionEnded()
        output.store.append(.keep("open", nil))
        output.log(.info, "transaction \(transaction.local) stopped: \(reason)")
    }

    @discardableResult
    mutating func append(_ action: String, _ payload: JSONValue, opening: Bool = false, into output: inout Output) -> JournalEntry {
        let sending = calls.outstanding.flatMap { Self.journalSeq($0.call.key) }
        let (entry, changes) = journal.append(action, payload, transaction: opening ? nil : open?.local, sending: sending)
        let thinned = changes.count - 1
        if thinned > 0 { output.log(.warning, "uplink queue full (\(journal.capacity)): \(thinned) older meter values dropped") }
        output.store += changes
        return entry
    }

    // MARK: - Sending

    /// What every step ends with: a changed hold kept, the next call sent.
    mutating func finish(now: Double, into output: inout Output) {
        if hold != keptHold {
            keptHold = hold
            output.store.append(.keep("hold", hold.map { .string($0) }))
        }
        pump(now: now, into: &output)
    }

    /// The next call when none is outstanding: the queued calls first, then the journal's head.
    mutating func pump(now: Double, into output: inout Output) {
        guard connected, calls.outstanding == nil else { return }
        while booted, calls.queue.isEmpty, now >= journalRetryAt, let entry = journal.first {
            var payload = entry.payload
            if entry.action != "StartTransaction" {
                guard let remote = remoteIds[entry.transaction] else {
                    output.log(.warning, "transaction \(entry.transaction) has no id from the backend (its start was refused): its \(entry.action) dropped")
                    output.store += journal.removeTransaction(entry.transaction)
                    continue
                }
                if case .object(var fields) = payload {
                    fields["transactionId"] = .number(Double(remote))
                    payload = .object(fields)
                }
            }
            calls.enqueue(entry.action, payload, key: "journal-\(entry.seq)")
        }
        if let frame = calls.next(now: now) { output.frames.append(frame) }
    }

    static func journalSeq(_ key: String) -> Int64? {
        key.hasPrefix("journal-") ? Int64(key.dropFirst(8)) : nil
    }

    // MARK: - Receiving

    /// One text message from the backend: an answer to our call, or a call to answer.
    public mutating func received(_ text: String, now: Double, wall: Date) -> Output {
        var output = Output()
        switch Frame.parse(text) {
        case .failure(let refusal):
            if let id = refusal.id { output.frames.append(.error(id: id, refusal.failure)) }
            output.log(.warning, "backend sent a bad frame: \(refusal.failure.description)")
        case .success(.call(let id, let action, let payload)):
            output.frames.append(answer(id: id, action: action, payload: payload, now: now, wall: wall, into: &output))
        case .success(let frame):
            if let outcome = calls.receive(frame) { handle(outcome, now: now, wall: wall, into: &output) }
        }
        finish(now: now, into: &output)
        return output
    }

    mutating func handle(_ outcome: OutgoingCalls.Outcome, now: Double, wall: Date, into output: inout Output) {
        if let seq = Self.journalSeq(outcome.key) {
            journalAnswered(seq: seq, outcome, now: now, wall: wall, into: &output)
            return
        }
        if let ticket = Self.askTicket(outcome.key) {
            askAnswered(ticket: ticket, outcome, now: now, into: &output)
            return
        }
        switch (outcome.action, outcome.answer) {
        case ("BootNotification", .success(let answer)):
            let status = answer["status"]?.string ?? ""
            let interval = answer["interval"]?.number ?? 0
            if status == "Accepted" {
                booted = true
                reported = nil
                lastHeartbeat = now
                if interval > 0 { heartbeatInterval = interval }
                reportStatus(wall: wall)
                output.log(.notice, "backend accepted the BootNotification (heartbeat \(Int(heartbeatInterval)) s)")
            } else {
                bootRetryAt = now + (interval > 0 ? interval : 60)
                output.log(.notice, "backend answered the BootNotification \(status): again in \(Int(bootRetryAt - now)) s")
            }
        case ("BootNotification", .failure(let failure)):
            bootRetryAt = now + 30
            output.log(.warning, "BootNotification: \(failure.description)")
        case ("Authorize", let answer):
            guard case .pending(let tag) = authorization else { return }
            if case .success(let payload) = answer, let status = payload["idTagInfo"]?["status"]?.string {
                authorization = status == "Accepted" ? .accepted(tag) : .refused(tag)
                output.log(.info, "backend answered Authorize of \(tag): \(status)")
            } else {
                authorization = offlineDecision(tag, wall: wall)
                output.log(.notice, "Authorize of \(tag) unanswered: decided offline (\(settings.offline.rawValue))")
            }
        case (_, .failure(let failure)):
            output.log(.warning, "\(outcome.action): \(failure.description)")
        default:
            break
        }
    }

    mutating func journalAnswered(seq: Int64, _ outcome: OutgoingCalls.Outcome, now: Double, wall: Date, into output: inout Output) {
        guard let entry = journal.entries.first(where: { $0.seq == seq }) else { return }
        var answer = outcome.answer
        if case .success(let payload) = answer, entry.action == "StartTransaction",
           payload["transactionId"]?.number.flatMap({ Int(exactly: $0) }) == nil {
            answer = .failure(OCPPFailure(.formationViolation, "StartTransaction answered without a transactionId"))
        }
        switch answer {
        case .failure(let failure) where failure.description.hasPrefix("no answer"):
            return   // sent again (the connection is probably gone; the journal keeps it)
        case .failure(let failure):
            let attempts = (errorAttempts[seq] ?? 0) + 1
            errorAttempts[seq] = attempts
            guard attempts >= transactionAttempts else {
                journalRetryAt = now + transactionRetryInterval * Double(attempts)
                output.log(.warning, "\(entry.action) of transaction \(entry.transaction): \(failure.description) (attempt \(attempts) of \(transactionAttempts); again in \(Int(journalRetryAt - now)) s)")
                return
            }
            errorAttempts[seq] = nil
            journalRetryAt = -.infinity
            journal.remove(seq: seq)
            output.store.append(.remove(seq: seq))
            output.log(.warning, "\(entry.action) of transaction \(entry.transaction) dropped after \(attempts) errors (TransactionMessageAttempts)")
        case .success(let payload):
            errorAttempts[seq] = nil
            journalRetryAt = -.infinity
            journal.remove(seq: seq)
            output.store.append(.remove(seq: seq))
            switch entry.action {
            case "StartTransaction":
                let remote = payload["transactionId"]?.number.flatMap { Int(exactly: $0) } ?? 0
                remoteIds[entry.transaction] = remote
                output.store.append(.transactionId(transaction: entry.transaction, remote: remote))
                let status = payload["idTagInfo"]?["status"]?.string ?? "Accepted"
                if status != "Accepted", open?.local == entry.transaction, let last = lastStatus {
                    hold = "the backend refused id tag \(open?.idTag ?? "")"
                    output.log(.notice, "backend refused the transaction's id tag (\(status)): stopped, held at 0 A until the vehicle leaves")
                    stop(reason: "DeAuthorized", status: last, wall: wall, into: &output)
                }
            case "StopTransaction":
                if !journal.holds(transaction: entry.transaction), open?.local != entry.transaction {
                    remoteIds[entry.transaction] = nil
                    output.store.append(.forgetTransaction(entry.transaction))
                }
            default:
                break
            }
        }
    }
}

extension UplinkMachine {
    /// The id of the call waiting for the backend's answer (nil: none).
    public var outstandingId: String? { calls.outstanding?.id }
}
