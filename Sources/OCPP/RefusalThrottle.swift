/// Slows down guessing at the central system's door, per source address: after a refused upgrade
/// (an unknown charge point id, a wrong or missing password or client certificate) the source's next answer waits
/// 0.5 s, then 1 s, 2 s… up to 10 s, whatever it sends, so a client cannot tell a success by its
/// speed. An attempt that would wait longer than `maxWait` is turned away at once (429) without a
/// look at its credentials. A success, or a quiet minute, forgets the source. Refusals are logged
/// at most once a minute per kind, with a count. At most `maxSources` sources are remembered: the
/// one that failed longest ago makes room. Time is a parameter (monotonic seconds).
public struct RefusalThrottle: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case unknownId = "unknown charge point id"
        case noPassword = "no basic-auth password"
        case wrongPassword = "wrong password"
        case noCertificate = "no client certificate with one CN (security profile 3)"
        case certificateMismatch = "client certificate CN is not the charge point id"
        case tooMany = "too many failed attempts"
    }

    public enum Outcome: Sendable, Equatable {
        case admitted
        case refused(Kind)
    }

    public struct Rules: Sendable {
        public var firstDelay = 0.5
        public var maxDelay = 10.0
        public var maxWait = 10.0
        public var quietSeconds = 60.0
        public var logEverySeconds = 60.0
        public var maxSources = 1_024
        public init() {}
    }

    public struct Verdict: Sendable, Equatable {
        /// Answer after this many seconds (0: now).
        public var delay: Double
        /// Turned away (429) without checking the credentials.
        public var tooMany: Bool
        /// A log line is due: this many refusals of the kind since the last line (this one included).
        public var logCount: Int?
    }

    struct Source {
        var failures: Int
        /// No answer to this source before this time.
        var free: Double
        var lastFailure: Double
    }

    public let rules: Rules
    private var sources: [String: Source] = [:]
    private var logs: [Kind: (last: Double, count: Int)] = [:]

    public init(rules: Rules = Rules()) { self.rules = rules }

    public var sourceCount: Int { sources.count }

    /// Whether an attempt from `source` at `now` is turned away before its credentials are checked.
    public func turnsAway(_ source: String, now: Double) -> Bool {
        guard let entry = sources[source], now - entry.lastFailure < rules.quietSeconds else { return false }
        return entry.free - now > rules.maxWait
    }

    /// An attempt from `source` at `now` with its outcome (`.refused(.tooMany)` when `turnsAway` said so):
    /// when to answer, and whether to log.
    public mutating func attempt(_ source: String, _ outcome: Outcome, now: Double) -> Verdict {
        if let entry = sources[source], now - entry.lastFailure >= rules.quietSeconds { sources[source] = nil }
        if case .refused(.tooMany) = outcome {
            return Verdict(delay: 0, tooMany: true, logCount: logLine(.tooMany, now: now))
        }
        guard var entry = sources[source] else {
            guard case .refused(let kind) = outcome else { return Verdict(delay: 0, tooMany: false, logCount: nil) }
            makeRoom()
            sources[source] = Source(failures: 1, free: now + delay(after: 1), lastFailure: now)
            return Verdict(delay: 0, tooMany: false, logCount: logLine(kind, now: now))
        }
        let answer = max(now, entry.free)
        guard case .refused(let kind) = outcome else {
            sources[source] = nil
            return Verdict(delay: answer - now, tooMany: false, logCount: nil)
        }
        entry.failures += 1
        entry.free = answer + delay(after: entry.failures)
        entry.lastFailure = now
        sources[source] = entry
        return Verdict(delay: answer - now, tooMany: false, logCount: logLine(kind, now: now))
    }

    /// The wait after `failures` refusals: doubling from the first delay, capped.
    func delay(after failures: Int) -> Double {
        min(rules.maxDelay, rules.firstDelay * Double(1 << min(failures - 1, 30)))
    }

    private mutating func makeRoom() {
        guard sources.count >= rules.maxSources, let oldest = sources.min(by: { $0.value.lastFailure < $1.value.lastFailure })?.key else { return }
        sources[oldest] = nil
    }

    private mutating func logLine(_ kind: Kind, now: Double) -> Int? {
        var log = logs[kind] ?? (last: -.infinity, count: 0)
        log.count += 1
        defer { logs[kind] = log }
        guard now - log.last >= rules.logEverySeconds else { return nil }
        let count = log.count
        log = (now, 0)
        return count
    }
}
