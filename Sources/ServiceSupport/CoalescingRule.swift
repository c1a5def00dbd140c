import Foundation

/// One line per key and interval: the rule behind `Coalescer`, pure (time is a parameter). What
/// was held back is counted and told with the next line of its key or, when none comes, by
/// `flush` once the interval is over: a flood that stops still has its count logged.
package struct CoalescingRule: Sendable {
    private struct Entry: Sendable {
        var last: Date
        var held: Int
    }

    package let interval: Double
    private var entries: [String: Entry] = [:]

    package init(interval: Double) { self.interval = interval }

    /// nil: hold this one back; else how many were held back since the last one let through.
    package mutating func admit(_ key: String, at now: Date) -> Int? {
        // keys may come from outside: bounded. Quiet keys go first, so held counts survive a
        // flood of new keys unless that flood alone fills the table.
        if entries.count > 256 {
            entries = entries.filter { $0.value.held > 0 }
            if entries.count > 256 { entries.removeAll() }
        }
        if let entry = entries[key], now.timeIntervalSince(entry.last) < interval {
            entries[key]!.held += 1
            return nil
        }
        let held = entries[key]?.held ?? 0
        entries[key] = Entry(last: now, held: 0)
        return held
    }

    /// The keys whose interval is over with something held back, and how many, by key. Each
    /// counts as a line let through at `now`: still at most one line per key and interval.
    package mutating func flush(now: Date) -> [(key: String, held: Int)] {
        var due: [(key: String, held: Int)] = []
        for (key, entry) in entries where entry.held > 0 && now.timeIntervalSince(entry.last) >= interval {
            due.append((key, entry.held))
        }
        for (key, _) in due { entries[key] = Entry(last: now, held: 0) }
        return due.sorted { $0.key < $1.key }
    }
}
