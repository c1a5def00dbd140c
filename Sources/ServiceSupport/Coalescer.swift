import Foundation
import Synchronization

/// One line (and one event) per key and interval; what was held back is counted and told with the
/// next one, or by `flush` (its owner calls it from a timer it already has) once the interval is
/// over. Keeps a flood of connections from turning into a flood of log lines and event rows.
package final class Coalescer: Sendable {
    private let rule: Mutex<CoalescingRule>

    package init(interval: Double) { rule = Mutex(CoalescingRule(interval: interval)) }

    /// nil: hold this one back; else how many were held back since the last one let through.
    package func admit(_ key: String, at now: Date = Date()) -> Int? {
        rule.withLock { $0.admit(key, at: now) }
    }

    /// The counts held back whose interval is over: for the owner to log now.
    package func flush(now: Date = Date()) -> [(key: String, held: Int)] {
        rule.withLock { $0.flush(now: now) }
    }
}
