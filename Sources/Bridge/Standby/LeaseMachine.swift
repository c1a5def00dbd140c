/// Who steers the chargers, decided from what the broker shows: pure (observations and monotonic
/// time in, actions out), so every rule is tested without a broker or a clock.
///
/// The leader keeps a retained record on the leader topic and renews it every second; when it
/// lets go it leaves a tombstone (a record marked released), and its last will empties the topic.
/// A standby takes over:
/// - at once after another instance's tombstone (it has stopped steering);
/// - after the leader's will, but no sooner than half a lease and a second after that leader's
///   last renewal (a leader cut off from the broker stops steering after half a lease, and its will
///   can run early when it reconnects);
/// - when the record is not renewed for a whole lease while the standby itself is connected —
///   never while it cannot see the broker.
/// The main instance, finding the backup leading, asks it to hand back.
public struct LeaseMachine: Sendable {
    public enum Role: String, Sendable { case main, backup }

    public enum Phase: String, Sendable {
        /// Not steering; watching the leader topic.
        case standby
        /// Published its record; leads if it is still the last one on the topic after `settle`.
        case claiming
        case leader
        /// Stopping the service (the chargers get their safe current); standby once it stopped.
        case releasing
        /// The main instance asked the leading backup to hand back and waits for it.
        case returning
    }

    public enum Action: Equatable, Sendable {
        /// Publish this instance's record (a claim or a renewal).
        case publishLease
        /// Replace this instance's record (or one left from its previous life) by its tombstone.
        case clearLease
        /// Ask the leading backup to let go (the main instance).
        case requestHandBack
        case startServing(reason: String)
        case stopServing(reason: String)
    }

    public struct Settings: Sendable {
        public var instance: String
        public var role: Role
        public var nonce: String
        public var lease: Double
        /// How long a claim must stay the last record on the topic (retained messages arrive by then).
        public var settle: Double = 1
        public init(instance: String, role: Role, nonce: String, lease: Double) {
            self.instance = instance
            self.role = role
            self.nonce = nonce
            self.lease = lease
        }
        /// The leader's renewal period.
        public var renewal: Double { min(1, lease / 6) }
        /// A leader lets go after this long without hearing its own renewal come back.
        public var stepDown: Double { lease / 2 }
        /// After a will, a standby claims no sooner than this after the vanished leader's last renewal.
        public var afterWill: Double { stepDown + 1 }
    }

    public let settings: Settings
    public private(set) var phase = Phase.standby
    /// The live record on the leader topic (nil: empty, a tombstone, or nothing since connecting).
    public private(set) var leader: LeaseRecord?
    private var connectedSince: Double?
    /// When the topic last changed or a renewal arrived.
    private var heardAt: Double?
    /// When another instance's live record last arrived.
    private var foreignHeardAt: Double?
    /// What emptied the topic: another instance's tombstone, or another instance's will.
    private var foreignRelease = false
    private var lapsed = false
    private var phaseSince = 0.0
    private var lastPublished = -Double.infinity
    /// When this instance's own record last came back from the broker.
    private var lastConfirmed = -Double.infinity
    private var lastRequest = -Double.infinity
    private var clearedOwnAt: Double?
    private var handBackFrom: String?
    private var retryAfter = -Double.infinity
    private var claimReason = ""

    public init(settings: Settings) { self.settings = settings }

    // MARK: - Observations

    public mutating func connected(now: Double) {
        connectedSince = now
        forgetTopic()
    }

    public mutating func disconnected(now: Double) {
        connectedSince = nil
        forgetTopic()
    }

    /// A message on the leader topic (nil: emptied, by a last will).
    public mutating func received(_ record: LeaseRecord?, now: Double) {
        heardAt = now
        let previous = leader
        guard let record else {
            leader = nil
            if let previous, isForeign(previous) { lapsed = true }
            return
        }
        if record.isTombstone {
            leader = nil
            foreignRelease = isForeign(record)
            lapsed = false
            return
        }
        leader = record
        if isForeign(record) {
            foreignHeardAt = now
            lapsed = false
            foreignRelease = false
        } else if record.nonce == settings.nonce {
            lastConfirmed = now
        }
    }

    /// The main instance `record` asks the leading backup to let go.
    public mutating func handBackRequested(by record: LeaseRecord) {
        guard settings.role == .backup, phase == .leader, record.role == Role.main.rawValue, record.instance != settings.instance else { return }
        handBackFrom = record.instance
    }

    /// The service asked to stop by `.stopServing` has stopped.
    public mutating func stopped(now: Double) {
        guard phase == .releasing else { return }
        enter(.standby, now: now)
        heardAt = now   // a backup gives the main instance a lease's time to claim before it would again
    }

    /// The service could not start (a port taken, a database that cannot be read): let go, and
    /// try again only after a lease's time.
    public mutating func startFailed(now: Double) {
        enter(.standby, now: now)
        heardAt = now
        retryAfter = now + settings.lease
    }

    // MARK: - Decisions

    public mutating func tick(now: Double) -> [Action] {
        switch phase {
        case .standby: return standby(now: now)
        case .claiming: return claiming(now: now)
        case .leader: return leading(now: now)
        case .releasing: return []   // until the service has stopped
        case .returning: return returning(now: now)
        }
    }

    private mutating func standby(now: Double) -> [Action] {
        guard let since = connectedSince, now - since >= settings.settle else { return [] }
        if let leader, !isForeign(leader) {
            // our own record (from before a lease loss, or a previous life): replace it by a tombstone
            guard clearedOwnAt == nil else { return [] }
            clearedOwnAt = now
            return [.clearLease]
        }
        guard now >= retryAfter else { return [] }
        if let leader {
            if now - max(heardAt ?? since, since) >= settings.lease {
                return claim(now: now, reason: "the lease of \(leader.instance) lapsed: not renewed for \(format(settings.lease)) s")
            }
            if settings.role == .main, leader.role == Role.backup.rawValue {
                enter(.returning, now: now)
                lastRequest = now
                return [.requestHandBack]
            }
            return []
        }
        if let reason = vacated(now: now) { return reason.isEmpty ? [] : claim(now: now, reason: reason) }
        if settings.role == .main { return claim(now: now, reason: "no leader") }
        if now - max(heardAt ?? since, since) >= settings.lease {
            return claim(now: now, reason: "no leader for \(format(settings.lease)) s")
        }
        return []
    }

    /// Why the topic is empty, if another instance emptied it: its tombstone (claim now) or its
    /// will (claim once it must have stopped; "" until then). nil: nobody else emptied it.
    private func vacated(now: Double) -> String? {
        if foreignRelease { return "the leader let go of the chargers" }
        guard lapsed else { return nil }
        let wait = (foreignHeardAt ?? -.infinity) + settings.afterWill - now
        return wait > 0 ? "" : "the leader vanished (its last will)"
    }

    private mutating func claiming(now: Double) -> [Action] {
        guard connectedSince != nil else {
            enter(.standby, now: now)
            return []
        }
        if let leader, isForeign(leader), heardAt ?? 0 > phaseSince {
            enter(.standby, now: now)   // another claim came after ours: it is the last on the topic
            return []
        }
        guard now - phaseSince >= settings.settle else { return [] }
        if let leader, !isForeign(leader), leader.nonce == settings.nonce, lastConfirmed >= phaseSince {
            enter(.leader, now: now)
            return [.startServing(reason: claimReason)]
        }
        if now - phaseSince >= settings.settle + settings.lease { enter(.standby, now: now) }   // our claim never came back
        return []
    }

    private mutating func leading(now: Double) -> [Action] {
        if let leader, isForeign(leader), heardAt ?? 0 > phaseSince {
            return release(now: now, reason: "\(leader.instance) holds the lease now")
        }
        if let main = handBackFrom {
            return release(now: now, reason: "the main instance \(main) is back and asked for the chargers")
        }
        if now - max(lastConfirmed, phaseSince) > settings.stepDown {
            return release(now: now, reason: "the lease was not renewed for \(format(settings.stepDown)) s: the broker is unreachable")
        }
        guard let since = connectedSince else { return [] }
        if lastPublished < since || now - lastPublished >= settings.renewal {
            lastPublished = now
            return [.publishLease]
        }
        return []
    }

    private mutating func returning(now: Double) -> [Action] {
        guard let since = connectedSince else {
            enter(.standby, now: now)
            return []
        }
        guard let leader, isForeign(leader) else {
            if foreignRelease { return claim(now: now, reason: "the backup handed back") }
            if let reason = vacated(now: now) { return reason.isEmpty ? [] : claim(now: now, reason: reason) }
            return claim(now: now, reason: "no leader")
        }
        if now - max(heardAt ?? since, since) >= settings.lease {
            return claim(now: now, reason: "the lease of \(leader.instance) lapsed: not renewed for \(format(settings.lease)) s")
        }
        if leader.role != Role.backup.rawValue {
            enter(.standby, now: now)   // another main instance leads: nothing to take back
            return []
        }
        guard now - lastRequest >= settings.renewal * 2 else { return [] }
        lastRequest = now
        return [.requestHandBack]
    }

    // MARK: - Helpers

    private mutating func claim(now: Double, reason: String) -> [Action] {
        enter(.claiming, now: now)
        claimReason = reason
        lastPublished = now
        return [.publishLease]
    }

    private mutating func release(now: Double, reason: String) -> [Action] {
        enter(.releasing, now: now)
        return [.stopServing(reason: reason)]
    }

    private mutating func enter(_ next: Phase, now: Double) {
        phase = next
        phaseSince = now
        handBackFrom = nil
        clearedOwnAt = nil
        if next == .claiming || next == .leader {
            lapsed = false
            foreignRelease = false
        }
    }

    /// What was seen on the topic belongs to one connection: after a reconnect the retained record comes again.
    private mutating func forgetTopic() {
        leader = nil
        heardAt = nil
        foreignHeardAt = nil
        lapsed = false
        foreignRelease = false
        clearedOwnAt = nil
    }

    /// Another instance's record (a record with this instance's name is this one's, from now or a previous life).
    private func isForeign(_ record: LeaseRecord) -> Bool { record.instance != settings.instance }

    private func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
