import EnergyControl
import Foundation

/// Everything the bridge does with one OCPP charge point, as a pure value, for any version's
/// message set: it answers the charge point's calls (`Messages.Session`), keeps the setpoint as a
/// profile stack on it (failsafe at stack level 0, the dynamic setpoint above with a validity it
/// renews), configures its meter values, and sends one call at a time. The driver moves frames and
/// calls `tick`; time comes in as parameters (monotonic `now`, `wall` for what goes on the wire).
public struct StationControl<Messages: OCPPMessageSet>: ChargePointProtocol {
    public typealias Settings = StationSettings
    public typealias Note = ControlNote

    public let settings: Settings
    public private(set) var session: Messages.Session
    public private(set) var calls: OutgoingCalls
    public private(set) var connected = false
    private var callPrefix: String
    private var connections = 0

    /// What control wants.
    public private(set) var setpoint: Int?
    public private(set) var phases: Int?
    public private(set) var failsafe: Int?
    /// What the charge point accepted (nil: nothing yet on this connection).
    public private(set) var acceptedSetpoint: Int?
    /// The charge point's answer to the last dynamic profile ("Accepted", "Rejected", an error code).
    public private(set) var setpointAnswer = ""
    private var sentDynamic: (amperes: Int, limit: Double, phases: Int?, at: Double, via: Via)?
    private var amperesByLimit: [Double: Int] = [:]
    private var sentFailsafe: (amperes: Int, via: Via)?
    /// The fallback ladder: which way of limiting the charge point is in use.
    public private(set) var ladder: ProfileLadder
    /// What was last said about availability on this connection (nil: nothing, it is Operative).
    private var sentOperative: Bool?
    private var failsafeRetryAt: Double?
    private var openedAt = 0.0
    /// The operator's switches as last acted on (nil: not yet on this connection).
    private var operatorState: (enabled: Bool, forced: Bool)?
    private var remoteStartAsked = false
    private var remoteStarts = 0
    private var leaving = false
    /// How long the dynamic profile waits for the failsafe on a new connection.
    static var failsafeGrace: Double { 5.0 }
    private var refusedLogged: Set<String> = []
    /// Answers to the calls the driver asked for (`send`), for it to take.
    public private(set) var answers: [OutgoingCalls.Outcome] = []

    public init(settings: Settings, idPrefix: String) {
        self.settings = settings
        session = Messages.Session(policy: settings.policy)
        callPrefix = idPrefix
        calls = OutgoingCalls(prefix: idPrefix)
        ladder = ProfileLadder(first: settings.stack.purpose == .chargePointMax ? .chargePointMax : .txDefault,
                               limitKey: settings.limitKey != nil, version: Messages.version, remembered: settings.rememberedWay)
    }

    /// A way and, for a TxProfile, the transaction it is on: a change of either sends again.
    private struct Via: Equatable {
        var way: ProfileWay
        var transaction: String?
    }

    public var version: OCPPVersion { Messages.version }
    public var knownWay: ProfileWay? { ladder.known }
    public var steerable: Bool { ladder.steerable }
    public var pendingCalls: Int { calls.queue.count + (calls.outstanding == nil ? 0 : 1) }

    // MARK: the connection

    public mutating func opened(now: Double) {
        openedAt = now
        connections += 1
        connected = true
        session = Messages.Session(policy: session.policy)
        calls = OutgoingCalls(prefix: "\(callPrefix).\(connections)")
        sentDynamic = nil
        sentFailsafe = nil
        failsafeRetryAt = nil
        operatorState = nil         // told again after boot
        sentOperative = nil
        ladder.restart()
        remoteStartAsked = false
        answers = []
        session.heard(now: now)     // acceptedSetpoint stays: the charger keeps its profiles
    }

    public mutating func closed() {
        connected = false
        calls.reset()
    }

    public mutating func received(_ text: String, now: Double, wall: Date) -> (frames: [Frame], notes: [Note]) {
        var notes: [Note] = []
        var frames: [Frame] = []
        switch Frame.parse(text) {
        case .failure(let refusal):
            session.heard(now: now)
            notes.append(Note(level: .warning, text: "bad frame: \(refusal.failure.description)"))
            // no readable id: the specification leaves no id to answer; "-1" tells the sender anyway
            frames.append(.error(id: refusal.id ?? "-1", refusal.failure, version: version))
        case .success(.call(let id, let action, let payload)):
            let wasBooted = session.booted
            let handled = session.handle(action: action, payload: payload, now: now, wall: wall)
            switch handled.reply {
            case .success(let reply): frames.append(.result(id: id, payload: reply))
            case .failure(let failure): frames.append(.error(id: id, failure, version: version))
            }
            notes += handled.notes.map { Note(level: $0.contains("refused") ? .warning : .info, text: $0) }
            if !wasBooted, session.booted {
                for (key, call) in Messages.afterBoot(settings) { calls.enqueue(call.action, call.payload, key: key) }
            }
        case .success(let answer):
            session.heard(now: now)
            if let outcome = calls.receive(answer) { notes += record(outcome, now: now) }
        }
        frames += tick(now: now, wall: wall).frames
        return (frames, notes)
    }

    public mutating func tick(now: Double, wall: Date) -> (frames: [Frame], notes: [Note]) {
        var notes: [Note] = []
        guard connected else { return ([], []) }
        if let expired = calls.expire(now: now) { notes += record(expired, now: now) }
        guard session.booted else { return ([], notes) }
        if let retry = failsafeRetryAt, now >= retry {
            sentFailsafe = nil
            failsafeRetryAt = nil
        }
        let via = Via(way: ladder.way, transaction: ladder.way == .txProfile ? settledTransaction(now: now) : nil)
        // the failsafe (stack 0) follows the way the ladder found, where that way has profiles
        if let failsafe, sentFailsafe.map({ $0 != (failsafe, via) }) ?? true, let purpose = purpose(of: via) {
            let call = Messages.setChargingProfile(settings.stack.failsafe(amperes: failsafe, phases: sentPhases, wall: wall, purpose: purpose))
            calls.enqueue(call.action, call.payload, key: "failsafe")
            sentFailsafe = (failsafe, via)
        }
        // on a new connection the failsafe (stack 0) goes first; control gives it once the charge
        // point is online, so the dynamic profile waits for it a few seconds at most
        if let setpoint, !leaving, failsafe != nil || now - openedAt >= Self.failsafeGrace, let call = dynamicCall(setpoint, via: via, wall: wall) {
            let wanted = (setpoint, sentPhases)
            let limit = settings.stack.limit(amperes: setpoint, powerPhases: powerPhases)
            // a limit by configuration has no validity to renew
            let renew = sentDynamic.map { via.way != .configuration && now - $0.at >= settings.stack.validity / 2 } ?? true
            if renew || sentDynamic?.limit != limit || sentDynamic?.phases != wanted.1 || sentDynamic?.via != via {
                // a decrease jumps the queue; the first profile of a connection follows the failsafe
                let decrease = sentDynamic.map { setpoint < $0.amperes } ?? false
                calls.enqueue(call.action, call.payload, key: "dynamic", urgent: decrease)
                sentDynamic = (setpoint, limit, wanted.1, now, via)
                // what an accepted limit stands for (the most, if two currents share a limit)
                if amperesByLimit.count > 64 { amperesByLimit = [:] }
                amperesByLimit[limit] = max(amperesByLimit[limit] ?? 0, setpoint)
            }
        }
        syncAvailability()
        var frames: [Frame] = []
        if let next = calls.next(now: now) { frames.append(next) }
        return (frames, notes)
    }

    /// A 1.6 transaction's id comes in the central system's answer to StartTransaction; a charge
    /// point may still be taking that answer when the next call arrives (and refuse a TxProfile
    /// for a transaction it does not know yet), so a TxProfile waits this long after the start.
    static var txProfileSettle: Double { 1.0 }

    /// The running transaction a TxProfile may be set on now (nil: none, or it just started).
    private func settledTransaction(now: Double) -> String? {
        guard let transaction = session.record.transaction, now - transaction.startedAt >= Self.txProfileSettle else { return nil }
        return transaction.id
    }

    /// The profile purpose of a way (nil: the way has no profile now).
    private func purpose(of via: Via) -> ChargingProfile.Purpose? {
        switch via.way {
        case .txDefault: .txDefault
        case .chargePointMax: .stationMax
        case .txProfile: via.transaction.map { .tx(transactionId: $0) }
        case .configuration, .none: nil
        }
    }

    /// The call that gives the charge point `amperes` the way in use (nil: none can now).
    private func dynamicCall(_ amperes: Int, via: Via, wall: Date) -> OutgoingCall? {
        if via.way == .configuration { return settings.limitKey.flatMap { Messages.limitConfiguration(key: $0, amperes: amperes) } }
        guard let purpose = purpose(of: via) else { return nil }
        return Messages.setChargingProfile(settings.stack.dynamic(amperes: amperes, phases: sentPhases, powerPhases: powerPhases,
                                                                  wall: wall, purpose: purpose))
    }

    /// The way a limit call was sent (nil: not a limit, e.g. ClearChargingProfile).
    private static func way(of outcome: OutgoingCalls.Outcome) -> ProfileWay? {
        if outcome.action == "ChangeConfiguration" { return .configuration }
        guard outcome.action == "SetChargingProfile" else { return nil }
        switch (outcome.payload["csChargingProfiles"] ?? outcome.payload["chargingProfile"])?["chargingProfilePurpose"]?.string {
        case "TxDefaultProfile": return .txDefault
        case "ChargePointMaxProfile", "ChargingStationMaxProfile": return .chargePointMax
        case "TxProfile": return .txProfile
        default: return nil
        }
    }

    /// A TxProfile for a transaction that is no longer the running one (it ended while the call was
    /// on its way): its refusal says nothing of the way.
    private static func forEndedTransaction(_ outcome: OutgoingCalls.Outcome, running: String?) -> Bool {
        guard let profile = outcome.payload["csChargingProfiles"] ?? outcome.payload["chargingProfile"],
              profile["chargingProfilePurpose"]?.string == "TxProfile", let sent = profile["transactionId"] else { return false }
        let id = sent.string ?? sent.number.flatMap { Int(exactly: $0) }.map(String.init)
        return id != running
    }

    /// A charge point that is not steerable must not charge below what it may draw: Inoperative
    /// then (with its transaction stopped: a 1.6 one only schedules the change while one runs),
    /// Operative again when it may; and Inoperative while the operator disables it.
    private var shedding: Bool { !ladder.steerable && (setpoint.map { $0 < settings.minimumCurrent } ?? false) }

    private mutating func syncAvailability() {
        guard let enabled = operatorState?.enabled else { return }
        let operative = enabled && !shedding
        guard operative != (sentOperative ?? true) else { return }
        sentOperative = operative
        enqueue(Messages.availability(operative: operative, connector: settings.policy.connector), key: "availability")
        if !operative, let transaction = session.record.transaction { enqueue(Messages.remoteStop(transactionId: transaction.id), key: "remote") }
    }

    private var sentPhases: Int? { settings.phaseSwitching ? phases : nil }

    /// The phases a limit in W is counted on: those the car is seen drawing on while it charges,
    /// else one (never more current per phase than the setpoint, whatever car it is).
    private var powerPhases: Int {
        guard session.record.state == .charging else { return 1 }
        let drawing = session.record.meter.currents.filter { ($0 ?? 0) >= 1 }.count
        return max(1, min(sentPhases ?? 3, drawing))
    }

    /// A failsafe profile that was refused or unanswered is sent again after this long.
    static var retryAfter: Double { 30.0 }

    private mutating func record(_ outcome: OutgoingCalls.Outcome, now: Double) -> [Note] {
        if outcome.key.hasPrefix(Self.driverKey) {
            answers.append(outcome)
            return []
        }
        let what = outcome.key == "dynamic" || outcome.key == "failsafe" ? "\(outcome.key) profile" : outcome.action
        if case .success = outcome.answer, let notes = Messages.configurationNotes(outcome, settings: settings) { return notes }
        var notes: [Note] = []
        if outcome.key == "dynamic", let way = Self.way(of: outcome), !Self.forEndedTransaction(outcome, running: session.record.transaction?.id) {
            let before = ladder.way
            if ladder.answered(way, refused: ProfileLadder.refuses(outcome.answer)) {
                // the next way goes out at once, and the failsafe follows it
                sentDynamic = nil
                sentFailsafe = nil
                failsafeRetryAt = nil
                notes.append(ladder.steerable
                    ? Note(level: .notice, text: "profile way: \(before.rawValue) refused, trying \(ladder.way.rawValue)")
                    : Note(level: .warning, text: "not steerable: it refused every way of limiting its current (\(ladder.rungs.map(\.rawValue).joined(separator: ", "))); it is made Inoperative when it must not charge"))
            }
        }
        return notes + recordAnswer(outcome, what: what, now: now)
    }

    private mutating func recordAnswer(_ outcome: OutgoingCalls.Outcome, what: String, now: Double) -> [Note] {
        switch outcome.answer {
        case .success(let payload):
            let status = payload["status"]?.string ?? "?"
            if outcome.key == "dynamic" {
                // refused: tried again at the renewal time, not in a loop
                if status == "Accepted" {
                    acceptedSetpoint = outcome.action == "ChangeConfiguration" ? outcome.payload["value"]?.string.flatMap { Int($0) }
                        : Messages.profileLimit(outcome.payload).flatMap { amperesByLimit[$0] }
                }
                setpointAnswer = status
            }
            if outcome.key == "failsafe", status != "Accepted" { failsafeRetryAt = now + Self.retryAfter }
            if status == "Accepted" || status == "?" {
                return [Note(level: .info, text: "\(what): \(status)")]
            }
            // a refusal is logged once per kind and status, not at every renewal
            guard refusedLogged.insert("\(outcome.key)/\(status)").inserted else { return [] }
            return [Note(level: .warning, text: "\(what) \(status) by the charge point")]
        case .failure(let failure):
            if outcome.key == "dynamic" { setpointAnswer = failure.code.rawValue }
            // the dynamic profile is sent again at its renewal time; the failsafe after a pause
            if outcome.key == "failsafe" { failsafeRetryAt = now + Self.retryAfter }
            guard refusedLogged.insert("\(outcome.key)/\(failure.code.rawValue)").inserted else { return [] }
            return [Note(level: .warning, text: "\(what) failed: \(failure.description)")]
        }
    }

    // MARK: control's side

    public mutating func apply(setpoint: Int, phases: Int?) {
        self.setpoint = setpoint
        if let phases { self.phases = phases }
    }

    public mutating func setFailsafe(_ amperes: Int) { failsafe = amperes }

    /// The operator's switches, called after every step: `enabled` false makes the connector
    /// Inoperative and stops a running transaction (on the change); `forced` starts one (with
    /// `remoteIdTag`) once per forced period, as soon as a car is plugged and none runs.
    public mutating func setOperator(enabled: Bool, forced: Bool) {
        guard connected, session.booted else { return }
        operatorState = (enabled, forced)
        let connector = settings.policy.connector
        let transaction = session.record.transaction
        // a new connection is told only what differs from a charge point's default (Operative)
        syncAvailability()
        if !forced || transaction != nil { remoteStartAsked = false }
        let plugged: Set<ChargePointState> = [.preparing, .suspendedEV, .suspendedEVSE, .finishing]
        if forced, enabled, !remoteStartAsked, transaction == nil, let state = session.record.state, plugged.contains(state) {
            remoteStarts += 1
            enqueue(Messages.remoteStart(idTag: settings.remoteIdTag, connector: connector, requestId: remoteStarts), key: "remote")
            remoteStartAsked = true
        }
    }

    public mutating func reset(_ kind: ResetKind) {
        guard connected, session.booted else { return }
        enqueue(Messages.reset(kind), key: "reset")
    }

    /// The operator's stop (MQTT `stop/set`): RemoteStopTransaction / RequestStopTransaction of
    /// the running transaction. False when there is none (or the charge point is not booted).
    public mutating func stopTransaction() -> Bool {
        guard connected, session.booted, let transaction = session.record.transaction else { return false }
        enqueue(Messages.remoteStop(transactionId: transaction.id), key: "stop")
        return true
    }

    public var booted: Bool { session.booted }
    public var record: StationRecord { session.record }

    /// The bridge stops: the dynamic profile is cleared so the charge point falls back to its
    /// failsafe profile now, not when the validity runs out (by configuration: the limit key is
    /// set to the failsafe current); nothing is renewed any more.
    public mutating func leave() {
        leaving = true
        guard connected, session.booted else { return }
        // a limit by configuration has no failsafe profile under it: the key is set to the failsafe
        if ladder.way == .configuration, let failsafe, let key = settings.limitKey, let call = Messages.limitConfiguration(key: key, amperes: failsafe) {
            calls.enqueue(call.action, call.payload, key: "dynamic", urgent: true)
            return
        }
        let call = Messages.clearChargingProfile(id: ProfileStack.dynamicProfileId)
        calls.enqueue(call.action, call.payload, key: "dynamic", urgent: true)
    }

    private mutating func enqueue(_ call: OutgoingCall, key: String) { calls.enqueue(call.action, call.payload, key: key) }

    /// Calls the driver makes beside the profile stack (the 1.6 local list): queued under `key`
    /// (prefixed), answered through `takeAnswers`. False while the charge point is not connected
    /// and booted.
    @discardableResult
    public mutating func send(_ call: OutgoingCall, key: String) -> Bool {
        guard connected, session.booted else { return false }
        calls.enqueue(call.action, call.payload, key: Self.driverKey + key)
        return true
    }

    public mutating func takeAnswers() -> [OutgoingCalls.Outcome] {
        defer { answers = [] }
        return answers.map { outcome in
            var outcome = outcome
            outcome.key = String(outcome.key.dropFirst(Self.driverKey.count))
            return outcome
        }
    }

    static var driverKey: String { "driver." }

    /// Nothing is waiting to be sent or answered.
    public var idle: Bool { pendingCalls == 0 }

    /// Online: connected, booted and heard from within 2 heartbeats (+ 10 s).
    public func status(now: Double) -> ChargerStatus {
        let recent = session.record.lastMessageAt.map { now - $0 <= 2 * Double(settings.policy.heartbeatInterval) + 10 } ?? false
        var status = session.chargerStatus(now: now, online: connected && recent)
        // a charge point that takes no limit is not known to hold any
        status.appliedSetpoint = ladder.steerable ? acceptedSetpoint : nil
        status.setpointAnswer = setpointAnswer
        status.profileWay = ladder.way.rawValue
        status.steerable = ladder.steerable
        return status
    }
}
