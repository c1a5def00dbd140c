/// The master contract as a pure state machine [SPEC §4, Vestel EVC08 installation guideline §16.7.1],
/// whatever face the master speaks through.
///
/// A master sets the failsafe current, the failsafe timeout and the charging current, then proves
/// it is alive periodically (its face says how: an alive register, any write, a control message).
/// If it stays silent longer than the timeout the charger enters failsafe: the master is dropped
/// and the failsafe current becomes the request until a master is alive again.
public struct FailsafeMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// No alive write yet since start, or since failsafe: the failsafe current applies.
        case failsafe(since: Seconds)
        /// A master is alive; its last alive write was at `lastAlive`.
        case active(lastAlive: Seconds)
    }

    public private(set) var state: State
    /// Amperes while in failsafe (0 = stop).
    public private(set) var failsafeCurrent: Int
    /// Seconds of silence before failsafe.
    public private(set) var failsafeTimeout: Int
    /// Amperes (0 = pause): the master's request while it is alive.
    public private(set) var chargingCurrent: Int
    /// False while the master paused charging (its current is kept for the resume).
    public private(set) var enabled = true

    /// Starts in failsafe: until a master proves it is alive, the charger runs at the failsafe current.
    public init(failsafeCurrent: Int, failsafeTimeout: Int, now: Seconds) {
        self.failsafeCurrent = failsafeCurrent
        self.failsafeTimeout = failsafeTimeout
        chargingCurrent = failsafeCurrent
        state = .failsafe(since: now)
    }

    public var isFailsafe: Bool {
        if case .failsafe = state { return true }
        return false
    }

    /// What the EMS asks for right now: its charging current while alive, else the failsafe current.
    public var request: Int { isFailsafe ? failsafeCurrent : (enabled ? chargingCurrent : 0) }

    public mutating func setFailsafeCurrent(_ amperes: Int) { failsafeCurrent = amperes }
    public mutating func setFailsafeTimeout(_ seconds: Int) { failsafeTimeout = seconds }
    public mutating func setChargingCurrent(_ amperes: Int) { chargingCurrent = amperes }
    public mutating func setEnabled(_ on: Bool) { enabled = on }

    /// A sign of life: (re-)activates the master. Returns true when this leaves failsafe.
    @discardableResult
    public mutating func alive(at now: Seconds) -> Bool {
        let wasFailsafe = isFailsafe
        state = .active(lastAlive: now)
        return wasFailsafe
    }

    /// Advances time. Returns true when the charger enters failsafe now (the caller closes the
    /// master's socket and logs it).
    @discardableResult
    public mutating func tick(now: Seconds) -> Bool {
        guard case .active(let lastAlive) = state, now - lastAlive > Seconds(failsafeTimeout) else { return false }
        state = .failsafe(since: now)
        return true
    }

    /// Seconds until failsafe if no alive arrives (nil while in failsafe).
    public func remaining(now: Seconds) -> Seconds? {
        guard case .active(let lastAlive) = state else { return nil }
        return max(0, Seconds(failsafeTimeout) - (now - lastAlive))
    }
}
