/// A utility's power limit read from a register of a grid operator's gateway or control box, with
/// a heartbeat register that proves the gateway alive. Pure: time is a parameter.
///
/// The register holds the limit on the chargers together; `noLimit` (the raw value) means none.
/// Until the first reading nothing is limited. The failsafe limit holds when the heartbeat has
/// not changed for `timeout`, when the limit could not be read for `timeout`, or at once when the
/// register holds a value that is no power (negative, above `maximumW`, not a number); it holds
/// until a valid limit is read and the heartbeat moved again after the failsafe began.
public struct UtilityGateway: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// Watts per count of the register (its scale times its unit: 1000 for kW, 100 for 0.1 kW).
        public var wattsPerCount: Double = 1000
        /// The raw value that means "no limit" (nil: every value is a limit).
        public var noLimit: Double?
        /// Whether a heartbeat register is read (without one only reading failures and bad values count).
        public var heartbeat = true
        /// The heartbeat must change, and the limit be read, within this, seconds.
        public var timeout: Seconds = 60
        /// The limit while the gateway fails, watts (nil: the §14a floor).
        public var failsafeW: Double?
        /// A larger limit is no limit a gateway would send: refused as a bad value.
        public var maximumW = 10_000_000.0
        public init() {}
    }

    /// One register as the poller read it.
    public enum Value: Sendable, Equatable {
        case number(Double)
        /// Decoded, but no value (NaN, a sentinel).
        case invalid(String)
        /// The request failed (timeout, exception, no connection).
        case unreadable(String)
    }

    /// A change of the gateway's state, for the log and the event table.
    public enum Change: Sendable, Equatable {
        case failsafe(reason: String)
        case recovered
    }

    public let settings: Settings
    /// The last valid limit read, watts (nil: no limit).
    public private(set) var limitW: Double?
    /// Why the failsafe limit holds (nil: the gateway's limit holds).
    public private(set) var failsafeReason: String?
    /// How often the failsafe began since the start.
    public private(set) var failsafeEntries = 0
    private var heartbeat: Double?
    private var heartbeatMoved: Seconds
    private var movedSinceFailsafe = false
    private var lastValid: Seconds
    private var lastProblem: String?
    private var read = false

    public init(settings: Settings, now: Seconds) {
        self.settings = settings
        heartbeatMoved = now
        lastValid = now
    }

    /// The limit in force, watts: the gateway's, the failsafe limit (`floorW` unless configured), or nil (none).
    public func limitInForceW(floorW: Double) -> Double? {
        failsafeReason != nil ? settings.failsafeW ?? floorW : limitW
    }

    public var isFailsafe: Bool { failsafeReason != nil }

    /// The limit register and the heartbeat register (nil when not configured) as read at `now`.
    public mutating func observe(limit: Value, heartbeat beat: Value?, now: Seconds) -> Change? {
        if settings.heartbeat, case .number(let value)? = beat, value != heartbeat {
            heartbeat = value
            heartbeatMoved = now
            movedSinceFailsafe = true
        }
        switch limit {
        case .unreadable(let reason):
            lastProblem = reason
        case .invalid(let reason):
            return enterFailsafe("the limit register holds no value (\(reason))")
        case .number(let raw):
            guard let watts = watts(raw) else {
                return enterFailsafe("the limit register holds \(Self.text(raw)), not a power")
            }
            read = true
            limitW = watts
            lastValid = now
            lastProblem = nil
            if failsafeReason != nil, !settings.heartbeat || movedSinceFailsafe {
                failsafeReason = nil
                return .recovered
            }
        }
        return tick(now: now)
    }

    /// Timeouts: the heartbeat stopped, or the limit has not been read for too long.
    public mutating func tick(now: Seconds) -> Change? {
        guard failsafeReason == nil else { return nil }
        let seconds = Self.text(settings.timeout)
        if settings.heartbeat, now - heartbeatMoved > settings.timeout {
            return enterFailsafe("the heartbeat did not change for \(seconds) s")
        }
        if now - lastValid > settings.timeout {
            let what = read ? "the limit register could not be read for \(seconds) s" : "no limit read from the gateway in \(seconds) s"
            return enterFailsafe(what + (lastProblem.map { " (\($0))" } ?? ""))
        }
        return nil
    }

    /// The raw value as watts; nil when it is no power.
    func watts(_ raw: Double) -> Double?? {
        guard raw.isFinite else { return nil }
        if raw == settings.noLimit { return .some(nil) }
        let watts = raw * settings.wattsPerCount
        guard watts >= 0, watts <= settings.maximumW else { return nil }
        return .some(watts)
    }

    private mutating func enterFailsafe(_ reason: String) -> Change? {
        guard failsafeReason == nil else {
            failsafeReason = reason
            return nil
        }
        failsafeReason = reason
        failsafeEntries += 1
        movedSinceFailsafe = false
        return .failsafe(reason: reason)
    }

    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
