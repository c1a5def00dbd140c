import EnergyControl
import ServiceSupport
import SimulatedDevices
import Synchronization

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
