/// Decreases pass at once; an increase waits until `increaseInterval` has passed since the last
/// change (up or down) and must exceed the dead band — so a fluctuating load cannot make the
/// setpoint oscillate.
public struct RampLimiter: Sendable, Equatable {
    public private(set) var value: Double?
    private var lastChange: Seconds = -.infinity

    public init() {}

    public mutating func apply(_ target: Double, settings: RampSettings, now: Seconds) -> Double {
        guard let current = value else {
            value = target
            lastChange = now
            return target
        }
        if target < current {
            value = target
            lastChange = now
        } else if target - current >= settings.deadBand, now - lastChange >= settings.increaseInterval {
            value = target
            lastChange = now
        }
        return value!
    }
}

/// Below the minimum current a charger pauses; it resumes only when it could get minimum +
/// hysteresis continuously for a delay (no start/stop flapping).
public struct PauseGate: Sendable, Equatable {
    public private(set) var paused = false
    private var aboveSince: Seconds?

    public init() {}

    /// - Parameter reachable: the most the charger can be given at all; resuming asks for at most that
    ///   (a charger held at exactly its minimum, e.g. by load shedding, must still resume).
    public mutating func apply(_ amperes: Double, minimum: Double, reachable: Double = .infinity, settings: FuseSettings, now: Seconds) -> Double {
        if amperes < minimum {
            paused = true
            aboveSince = nil
            return 0
        }
        guard paused else { return amperes }
        if amperes >= min(minimum + settings.resumeHysteresis, max(minimum, reachable)) {
            let since = aboveSince ?? now
            aboveSince = since
            if now - since >= settings.resumeDelay {
                paused = false
                aboveSince = nil
                return amperes
            }
        } else {
            aboveSince = nil
        }
        return 0
    }
}
