import EnergyControl

/// Seconds since the service started, on a monotonic clock: the only clock the service reads.
public struct MonotonicSeconds: Sendable {
    private let origin = ContinuousClock.now
    public init() {}
    public var now: Seconds {
        let elapsed = ContinuousClock.now - origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
