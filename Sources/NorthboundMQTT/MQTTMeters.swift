import EnergyControl
import Logging
import RegisterMaps
import ServiceConfiguration
import ServiceSupport
import SiteRuntime
import SmartMeters
import Synchronization

/// The meters whose values arrive over MQTT. Each message for one of their topics updates the
/// meter and delivers its readings like a poll (a grid meter's steps the loops at once); a value
/// that is malformed, implausible or older than its `max_age_s` is missing, and why is logged at
/// most once a minute per meter.
package final class MQTTMeters: Sendable {
    private let meters: Mutex<[(device: PolledDevice, values: MQTTMeterValues)]>
    let topics: Set<String>
    private let deliver: @Sendable (PolledDevice, [Reading], Seconds) -> Void
    private let logger: Logger
    private let problems = Coalescer(interval: 60)

    package init(_ configuration: Configuration, deliver: @escaping @Sendable (PolledDevice, [Reading], Seconds) -> Void, logger: Logger) {
        let list = configuration.meters.compactMap { meter -> (PolledDevice, MQTTMeterValues)? in
            guard let values = meter.mqtt else { return nil }
            let device = PolledDevice.of(meter, configuration, unit: 0)
            return (device, values)
        }
        meters = Mutex(list)
        topics = list.reduce(into: Set<String>()) { $0.formUnion($1.1.topics) }
        self.deliver = deliver
        self.logger = logger
    }

    /// Takes a message; false when no meter reads its topic.
    func receive(topic: String, payload: [UInt8], now: Seconds) -> Bool {
        guard topics.contains(topic) else { return false }
        let updated = meters.withLock { meters -> [(PolledDevice, [Reading], [String: String])] in
            var updated: [(PolledDevice, [Reading], [String: String])] = []
            for index in meters.indices where meters[index].values.receive(topic: topic, payload: payload, now: now) {
                let values = meters[index].values
                let readings = values.values(now: now).sorted { $0.key < $1.key }.map { name, value in
                    let unit = meters[index].device.map.quantities.first { $0.name == name }?.unit.siSymbol ?? ""
                    return Reading(name: name, unit: unit, value: value.map { .success(.number($0)) } ?? .failure(.readFailed(values.problems[name] ?? "no value within max_age_s")))
                }
                updated.append((meters[index].device, readings, values.problems))
            }
            return updated
        }
        for (device, readings, problems) in updated {
            deliver(device, readings, now)
            if let (name, problem) = problems.min(by: { $0.key < $1.key }), let held = self.problems.admit(device.id) {
                logger.warning("MQTT meter \(device.id): \(name) on \(topic): \(problem) — counted as missing\(held > 0 ? " (and \(held) more in the last 60 s)" : "")")
            }
        }
        return true
    }

    /// Problems held back in a minute that is over: logged now, not only with the next one.
    func flushLogs() {
        for (id, held) in problems.flush() { logger.warning("MQTT meter \(id): \(held) more values counted as missing in the last 60 s") }
    }
}
