import EnergyControl
@testable import SiteRuntime
import ServiceSupport
import Synchronization

/// A driver whose charger reports what the test says and keeps what it was sent: the southbound
/// side of a unit test of the control and the EVC08 face (integration tests use real peers).
final class StatusDriver: ChargerDriver {
    private let state = Mutex<(status: ChargerStatus, setpoint: Int, phases: Int?)>((ChargerStatus(), 0, nil))
    private let pushes = Mutex<[Int]>([])

    /// - Parameter failsafeTimeout: the charger's own watchdog (nil: it keeps no failsafe current).
    init(failsafeTimeout: Seconds? = nil) {
        self.failsafeTimeout = failsafeTimeout
    }

    func report(_ status: ChargerStatus) { state.withLock { $0.status = status } }
    var applied: (setpoint: Int, phases: Int?) { state.withLock { ($0.setpoint, $0.phases) } }

    func poll(now: Seconds) -> ChargerStatus { state.withLock { $0.status } }
    func apply(setpoint: Int, phases: Int?) { state.withLock { $0.setpoint = setpoint; $0.phases = phases } }
    let failsafeTimeout: Seconds?
    func setFailsafe(current: Int, timeout: Seconds) { pushes.withLock { $0.append(current) } }
    /// The failsafe currents pushed into the charger, in order.
    var pushed: [Int] { pushes.withLock { $0 } }
}
