/// The EVC08 master contract as a pure state machine [SPEC §4, EVC08 §16.7.1].
///
/// A master sets the failsafe current (2000), the failsafe timeout (2002) and the charging current
/// (5004), then writes the alive register (6000) periodically. If alive is not written within the
/// timeout the charger enters failsafe: the master's socket is closed and the failsafe current
/// becomes the EMS request until a master writes alive again.
public struct FailsafeMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// No alive write yet since start, or since failsafe: the failsafe current applies.
        case failsafe(since: Seconds)
        /// A master is alive; its last alive write was at `lastAlive`.
        case active(lastAlive: Seconds)
    }

    public private(set) var state: State
    /// Register 2000, amperes (0 = stop while in failsafe).
    public private(set) var failsafeCurrent: Int
    /// Register 2002, seconds.
    public private(set) var failsafeTimeout: Int
    /// Register 5004, amperes (0 = pause): the master's request while it is alive.
    public private(set) var chargingCurrent: Int

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
    public var request: Int { isFailsafe ? failsafeCurrent : chargingCurrent }

    public mutating func setFailsafeCurrent(_ amperes: Int) { failsafeCurrent = amperes }
    public mutating func setFailsafeTimeout(_ seconds: Int) { failsafeTimeout = seconds }
    public mutating func setChargingCurrent(_ amperes: Int) { chargingCurrent = amperes }

    /// An alive write: (re-)activates the master. Returns true when this leaves failsafe.
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
