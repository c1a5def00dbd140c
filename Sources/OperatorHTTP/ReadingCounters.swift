import Prometheus
import Synchronization

/// Counters that follow a meter's absolute reading (a charger's energy register): Prometheus
/// wants a total as a counter, but a counter can only be incremented. Each scrape adds what the
/// reading grew by, so a scrape running meanwhile never sees the value drop; a reading that went
/// down (a charger swapped or reset) resets the counter, which is what `rate()` expects of it.
final class ReadingCounters: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let name: String, unit: String, help: String
    private let held = Mutex<[String: (reading: Double, counter: Counter)]>([:])

    /// - Parameter unit: the unit and `_total`, e.g. `joules_total`.
    init(registry: PrometheusCollectorRegistry, name: String, unit: String, help: String) {
        self.registry = registry
        self.name = name
        self.unit = unit
        self.help = help
    }

    /// - Parameter labels: the series' labels; `key` tells series apart.
    func record(_ reading: Double, key: String, labels: [(String, String)]) {
        guard reading.isFinite, reading >= 0 else { return }
        held.withLock { held in
            guard let (last, counter) = held[key] else {
                let descriptor = MetricNameDescriptor(namespace: "chargebridge", metricName: name, unitName: unit, helpText: help)
                let counter = registry.makeCounter(descriptor: descriptor, labels: labels)
                counter.increment(by: reading)
                held[key] = (reading, counter)
                return
            }
            if reading >= last {
                counter.increment(by: reading - last)
            } else {
                counter.reset()
                counter.increment(by: reading)
            }
            held[key] = (reading, counter)
        }
    }
}
