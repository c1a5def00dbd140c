/// Who steers the chargers, decided from what the broker shows: pure (observations and monotonic
/// time in, actions out), so every rule is tested without a broker or a clock.
///
/// The leader keeps a retained record on the leader topic and renews it every second; its last
/// will clears it. A standby takes over when the record is cleared by another instance (its will
/// or its release) or is not renewed for `lease` while the standby itself is connected — never
/// while it cannot see the broker. A leader that has not heard its own renewal come back for half
/// the lease lets go of the chargers, so in a split network it has stopped before the other side
/// can take over. The main instance, when it finds the backup leading, asks for a hand-back.
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
        /// Clear the leader topic (this instance's own record, or one left from its previous life).
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
    }

    public let settings: Settings
    public private(set) var phase = Phase.standby
    /// The record on the leader topic, as last received (nil: empty, or nothing since connecting).
    public private(set) var leader: LeaseRecord?
    private var connectedSince: Double?
    /// When the topic last showed a live leader's record, or changed.
    private var heardAt: Double?
    /// Another instance's record was cleared: its will ran, or it let go.
    private var lapsed = false
    private var phaseSince = 0.0
    private var lastPublished = -Double.infinity
    /// When this instance's own record last came back from the broker.
    private var lastConfirmed = -Double.infinity
    private var lastRequest = -Double.infinity
    private var clearedOwnAt: Double?
    private var handBackFrom: String?
    private var retryAfter = -Double.infinity

    public init(settings: Settings) { self.settings = settings }

    // MARK: - Observations

    public mutating func connected(now: Double) {
        connectedSince = now
        leader = nil
        heardAt = nil
        lapsed = false
        clearedOwnAt = nil
    }

    public mutating func disconnected(now: Double) {
        connectedSince = nil
        leader = nil
        heardAt = nil
        lapsed = false
    }

    /// A message on the leader topic (nil: cleared).
    public mutating func received(_ record: LeaseRecord?, now: Double) {
        if let record, record.nonce == settings.nonce, record.instance == settings.instance {
            lastConfirmed = now
        } else if record == nil, let previous = leader, isForeign(previous) {
            lapsed = true
        }
        if record.map(isForeign) == true { lapsed = false }
        leader = record
        heardAt = now
    }

    /// The main instance `record` asks the leading backup to let go.
    public mutating func handBackRequested(by record: LeaseRecord) {
        guard settings.role == .backup, record.role == Role.main.rawValue, record.instance != settings.instance else { return }
        handBackFrom = record.instance
    }

    /// The service asked to stop by `.stopServing` has stopped.
    public mutating func stopped(now: Double) {
        guard phase == .releasing else { return }
        enter(.standby, now: now)
        heardAt = now   // a backup gives the main instance a lease's time to claim before it would again
        clearedOwnAt = nil
    }

    /// The service could not start (a port taken, a database that cannot be read): let go, and
    /// try again only after a lease's time.
    public mutating func startFailed(now: Double) {
        enter(.standby, now: now)
        heardAt = now
        lapsed = false
        clearedOwnAt = nil
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
            // our own record (from before a lease loss, or a previous life): clear it once per connection
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
        if lapsed { return claim(now: now, reason: "the leader let go (its last will or its release)") }
        if settings.role == .main { return claim(now: now, reason: "no leader") }
        if now - max(heardAt ?? since, since) >= settings.lease {
            return claim(now: now, reason: "no leader for \(format(settings.lease)) s")
        }
        return []
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
            handBackFrom = nil
            return release(now: now, reason: "the main instance \(main) is back and asked for the chargers")
        }
        if now - max(lastConfirmed, phaseSince) > settings.lease / 2 {
            return release(now: now, reason: "the lease was not renewed for \(format(settings.lease / 2)) s: the broker is unreachable")
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
            return claim(now: now, reason: "the backup handed back")
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

    private var claimReason = ""

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
    }

    /// Another instance's live record (not ours, and not one left from our previous life).
    private func isForeign(_ record: LeaseRecord) -> Bool { record.instance != settings.instance }

    private func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
