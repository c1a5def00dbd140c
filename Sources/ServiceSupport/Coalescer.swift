import Foundation
import Synchronization

/// One line (and one event) per key and interval; what was held back is counted and told with the
/// next one. Keeps a flood of connections from turning into a flood of log lines and event rows.
package final class Coalescer: Sendable {
    private let interval: Double
    private let state = Mutex<[String: (last: Date, held: Int)]>([:])

    package init(interval: Double) { self.interval = interval }

    /// nil: hold this one back; else how many were held back since the last one let through.
    package func admit(_ key: String, at now: Date = Date()) -> Int? {
        state.withLock { state in
            if state.count > 256 { state.removeAll() }   // keys may come from outside: bounded
            if let entry = state[key], now.timeIntervalSince(entry.last) < interval {
                state[key]!.held += 1
                return nil
            }
            let held = state[key]?.held ?? 0
            state[key] = (now, 0)
            return held
        }
    }
}
