/// Who steers the chargers, decided from what the broker shows: pure (observations and monotonic
/// time in, actions out), so every rule is tested without a broker or a clock.
///
/// The leader keeps a retained record on the leader topic and renews it every second; when it
/// lets go it leaves a tombstone (its record marked released), and its last will empties the topic.
/// A standby claims the lease:
/// - at once after the tombstone of the leader it last saw (that leader has stopped steering);
/// - after that leader's will, once half a lease and two seconds have passed since its last renewal
///   (a leader cut off from the broker lets go half a lease after it sent its last renewal that came
///   back, and stops within two seconds; its will can run early, when it reconnects);
/// - when the record is not renewed for a whole lease while the standby is connected — never
///   while it cannot see the broker; the main instance also when the topic is empty.
/// A claim becomes leadership when it is the last record on the topic after a settle time and, unless
/// the previous leader's tombstone was seen, no sooner than half a lease and two seconds after the
/// last renewal of any other instance and after connecting: whoever might still steer has stopped by then.
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
        /// How long the service may take to stop (every charger given its safe current) once it lets go.
        public var stopTime: Double { 2 }
        /// Nobody else may still be steering this long after its last renewal was heard: it let go
        /// half a lease after sending it, and stopped within `stopTime`.
        public var afterWill: Double { stepDown + stopTime }
    }

    public let settings: Settings
    public private(set) var phase = Phase.standby
    /// The live record on the leader topic (nil: empty, a tombstone, or nothing since connecting).
    public private(set) var leader: LeaseRecord?
    private var connectedSince: Double?
    /// When the topic last changed or a renewal arrived (this connection).
    private var heardAt: Double?
    /// The last live record of another instance, and when it came (kept across reconnects: it says
    /// who may still be steering).
    private var lastForeign: LeaseRecord?
    private var foreignHeardAt: Double?
    /// The tombstone of `lastForeign` came after it: that instance has stopped steering.
    private var cleanRelease = false
    /// `lastForeign`'s record was emptied by its last will.
    private var lapsed = false
    private var phaseSince = 0.0
    private var lastPublished = -Double.infinity
    /// When this instance's own record last came back from the broker.
    private var lastConfirmed = -Double.infinity
    private var lastRequest = -Double.infinity
    /// Its own record was replaced by a tombstone on this connection (once is enough).
    private var clearedOwn = false
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

    /// A message on the leader topic (nil: emptied, by a last will). `retained`: a stored copy sent
    /// on subscribing, not a live publication (it confirms nothing).
    public mutating func received(_ record: LeaseRecord?, now: Double, retained: Bool = false) {
        heardAt = now
        guard let record else {
            if let previous = leader, isForeign(previous) { lapsed = true }
            leader = nil
            return
        }
        if record.isTombstone {
            leader = nil
            // only the tombstone of the instance last seen leading says it stopped (not a stranger's)
            if let last = lastForeign, record.instance == last.instance, record.nonce == last.nonce {
                cleanRelease = true
                lapsed = false
            }
            return
        }
        leader = record
        if isForeign(record) {
            lastForeign = record
            foreignHeardAt = now
            lapsed = false
            cleanRelease = false
        } else if record.nonce == settings.nonce, !retained {
            lastConfirmed = max(lastConfirmed, min(now, record.sent ?? now))   // counted from when it was sent
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

    /// The tombstone asked for by `.clearLease` could not be sent (no connection): ask again.
    public mutating func clearNotSent() { clearedOwn = false }

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
        if let own = clearOwn() { return own }
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

    /// This instance's own live record on the topic (from before a lease loss, replayed, or from a
    /// previous life) is replaced by a tombstone, once per connection; it never counts as a leader.
    private mutating func clearOwn() -> [Action]? {
        guard let leader, !isForeign(leader) else { return nil }
        guard !clearedOwn else { return [] }
        clearedOwn = true
        return [.clearLease]
    }

    /// Why the topic is empty, if the instance last seen leading emptied it: its tombstone (claim
    /// now) or its will (claim once it must have stopped; "" until then). nil: it did not.
    private func vacated(now: Double) -> String? {
        if cleanRelease { return "the leader let go of the chargers" }
        guard lapsed else { return nil }
        return now < (foreignHeardAt ?? -.infinity) + settings.afterWill ? "" : "the leader vanished (its last will)"
    }

    /// Whoever might still steer has stopped: its tombstone came, or `afterWill` passed since any
    /// other instance's last renewal and since this one connected.
    private func mayStart(now: Double) -> Bool {
        if cleanRelease { return true }
        return now >= max(connectedSince ?? .infinity, foreignHeardAt ?? -.infinity) + settings.afterWill
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
        if leader == nil, heardAt ?? 0 > phaseSince, cleanRelease || lapsed {
            return claim(now: now, reason: claimReason)   // the leader we displaced let go after our claim: claim again
        }
        // our claim is the last record, came back lately (so the lease is ours now), and nobody else may still steer
        if now - phaseSince >= settings.settle, let leader, !isForeign(leader), leader.nonce == settings.nonce,
           lastConfirmed >= phaseSince, now - lastConfirmed <= 2 * settings.renewal, mayStart(now: now) {
            enter(.leader, now: now)
            return [.startServing(reason: claimReason)]
        }
        if now - phaseSince >= settings.settle + settings.lease {
            enter(.standby, now: now)   // our claim never came back
            return []
        }
        if now - lastPublished >= settings.renewal {
            lastPublished = now   // renewed while it waits, so nobody takes it for lapsed
            return [.publishLease]
        }
        return []
    }

    private mutating func leading(now: Double) -> [Action] {
        if let leader, isForeign(leader), heardAt ?? 0 > phaseSince {
            return release(now: now, reason: "\(leader.instance) holds the lease now")
        }
        if let main = handBackFrom {
            return release(now: now, reason: "the main instance \(main) is back and asked for the chargers")
        }
        if now - lastConfirmed > settings.stepDown {   // counted from the broker's last word, not from taking over
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
        if let own = clearOwn() { return own }
        guard let leader else {
            if cleanRelease { return claim(now: now, reason: "the backup handed back") }
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
        clearedOwn = false
        if next == .leader {   // the vacancy is taken: only what comes next counts
            cleanRelease = false
            lapsed = false
        }
    }

    /// What was seen on the topic belongs to one connection: after a reconnect the retained record comes again.
    private mutating func forgetTopic() {
        leader = nil
        heardAt = nil
        lapsed = false
        cleanRelease = false
        clearedOwn = false
    }

    /// Another instance's record (a record with this instance's name is this one's, from now or a previous life).
    private func isForeign(_ record: LeaseRecord) -> Bool { record.instance != settings.instance }

    private func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
