import ServiceConfiguration
import EnergyControl
import RegisterMaps
import ServiceSupport
import Synchronization

/// The last readings of every polled meter, for the northbound views. Bus threads write it, the
/// MQTT publisher reads it.
package final class MeterBoard: Sendable {
    struct Entry: Sendable {
        var readings: [String: Double] = [:]
        /// When the meter last answered with at least one value.
        var lastGood: Seconds = -.infinity
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// A meter that has not answered for this long is offline (its values are no longer shown).
    package let staleAfter: [String: Seconds]

    /// Raised when a meter's values change (the MQTT publisher waits for it).
    package let changes: ChangeSignal?

    package init(meters: [Configuration.Meter], changes: ChangeSignal? = nil) {
        self.changes = changes
        staleAfter = Dictionary(uniqueKeysWithValues: meters.map { ($0.id, max(5, 3 * $0.period + Double($0.timeoutMilliseconds) / 1000)) })
    }

    package func record(_ id: String, _ readings: [Reading], time: Seconds) {
        var values: [String: Double] = [:]
        for reading in readings { if let number = reading.number { values[reading.name] = number } }
        let changed = entries.withLock { entries -> Bool in
            var entry = entries[id] ?? Entry()
            let changed = entry.readings != values
            entry.readings = values
            if !values.isEmpty { entry.lastGood = time }
            entries[id] = entry
            return changed
        }
        if changed { changes?.raise() }
    }

    /// The meter's values now, or nil when it is offline.
    package func readings(_ id: String, now: Seconds) -> [String: Double]? {
        entries.withLock { entries in
            guard let entry = entries[id], now - entry.lastGood <= staleAfter[id] ?? 5 else { return nil }
            return entry.readings
        }
    }
}
