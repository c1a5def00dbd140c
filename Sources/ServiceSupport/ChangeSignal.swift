import Foundation
import Synchronization

/// "Something shown northbound changed": raised by whoever changes it (a charger's face, a meter's
/// values, a control step that moved the site's values), awaited by the MQTT publisher, so a change
/// is published at once instead of at the next tick. Many raises before the wait count as one.
package final class ChangeSignal: Sendable {
    private let pending = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    package init() {}

    package func raise() {
        if !pending.exchange(true, ordering: .acquiringAndReleasing) { semaphore.signal() }
    }

    /// Waits for a raise, at most `timeout` seconds; true if one came.
    package func wait(timeout: Double) -> Bool {
        let raised = semaphore.wait(timeout: .now() + timeout) == .success
        pending.store(false, ordering: .releasing)
        return raised
    }
}
