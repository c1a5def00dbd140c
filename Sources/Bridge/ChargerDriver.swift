import EnergyControl
import Simulation
import Synchronization

/// The southbound side of one charger: reports status, takes setpoints.
public protocol ChargerDriver: AnyObject, Sendable {
    /// Brings the driver's view up to `now` and returns the charger's status.
    func poll(now: Seconds) -> ChargerStatus
    /// Sends the effective setpoint (0 = pause) and, where the charger can switch, the phase count.
    func apply(setpoint: Int, phases: Int?)
    /// The charger's own fallback if the bridge goes silent (the degraded setpoint of load
    /// management); nil when the charger keeps no failsafe current of its own.
    var failsafeTimeout: Seconds? { get }
    func setFailsafe(current: Int, timeout: Seconds)
}

/// A simulated charger with vehicles arriving and leaving (demo and tests).
public final class SimulatedChargerDriver: ChargerDriver {
    private let charger: Mutex<SimulatedCharger>

    public init(limits: ChargerLimits, evs: [SimulatedEV], start: Seconds) {
        charger = Mutex(SimulatedCharger(limits: limits, evs: evs, start: start))
    }

    public func poll(now: Seconds) -> ChargerStatus {
        charger.withLock { charger in
            charger.advance(to: now)
            return charger.status
        }
    }

    public func apply(setpoint: Int, phases: Int?) {
        charger.withLock { charger in
            if let phases { charger.select(phases: phases) }
            charger.apply(setpoint: setpoint)
        }
    }

    /// The simulated charger keeps a failsafe current, as an EVC08 does (registers 2000/2002).
    public let failsafeTimeout: Seconds? = 20

    public func setFailsafe(current: Int, timeout: Seconds) {
        charger.withLock { charger in
            guard charger.failsafeCurrent != current else { return }
            charger.setFailsafe(current: current, timeout: timeout)
        }
    }
}
