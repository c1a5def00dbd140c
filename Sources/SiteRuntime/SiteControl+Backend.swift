import ControlCore
import EnergyControl
import Synchronization

/// A CPO backend's cap on one charger (the uplink): taken under the core's lock; any change steps
/// the site at once, so a decrease reaches the charger now and a lifted hold starts it now.
extension SiteControl {
    package func backendLimit(charger index: Int, _ amperes: Int?, now: Seconds) {
        let changed = core.withLock { core in
            let before = core.backendLimit(index)
            core.setBackendLimit(index, amperes)
            return before != core.backendLimit(index)
        }
        if changed { step(now: now) }
    }
}
