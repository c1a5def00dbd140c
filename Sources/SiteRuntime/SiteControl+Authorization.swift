import ControlCore
import Synchronization
import Synchronization

extension SiteControl {
    /// The local list changed: its priority tags count from the next step.
    package func setListPriorityTags(_ tags: Set<String>) {
        core.withLock { $0.setListPriorityTags(tags) }
    }
}
