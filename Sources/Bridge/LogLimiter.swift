import Foundation
import Synchronization

/// At most `perMinute` lines a minute; the first line after a quiet spell says how many were dropped.
final class LogLimiter: Sendable {
    enum Decision { case log, logSuppressed(Int), drop }
    private let perMinute: Int
    private let state = Mutex((windowStart: Date.distantPast, count: 0, dropped: 0))

    init(perMinute: Int) { self.perMinute = perMinute }

    func admit(at now: Date = Date()) -> Decision {
        state.withLock { state in
            if now.timeIntervalSince(state.windowStart) >= 60 {
                let dropped = state.dropped
                state = (now, 1, 0)
                return dropped > 0 ? .logSuppressed(dropped) : .log
            }
            guard state.count < perMinute else {
                state.dropped += 1
                return .drop
            }
            state.count += 1
            return .log
        }
    }
}

/// One line (and one event) per key and interval; what was held back is counted and told with the
/// next one. Keeps a flood of connections from turning into a flood of log lines and event rows.
final class Coalescer: Sendable {
    private let interval: Double
    private let state = Mutex<[String: (last: Date, held: Int)]>([:])

    init(interval: Double) { self.interval = interval }

    /// nil: hold this one back; else how many were held back since the last one let through.
    func admit(_ key: String, at now: Date = Date()) -> Int? {
        state.withLock { state in
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
