import CoreMetrics
import Metrics
import Modbus
import RegisterMaps

/// The service's measurements as they happen (swift-metrics): meter polls, control steps, MQTT
/// publishes. Without a metrics backend (every command but `run` with `http:`) they cost nothing.
/// Values that are state (setpoints, currents, online) are read when `/metrics` is asked for.
enum BridgeMetrics {
    static let meterPoll = "chargebridge_meter_poll_seconds"
    static let meterErrors = "chargebridge_meter_errors_total"
    static let controlStep = "chargebridge_control_step_seconds"
    static let mqttPublishes = "chargebridge_mqtt_publishes_total"

    /// One device's instruments, made once (making one looks it up in the backend's registry).
    struct Device {
        let id: String
        let latency: Timer

        init(id: String) {
            self.id = id
            latency = Timer(label: BridgeMetrics.meterPoll, dimensions: [("meter", id)])
        }

        /// The poll's time, and each failure by kind: the requests' errors (timeout, exception,
        /// connection…) and the values refused after decoding (not available, implausible).
        func record(_ outcome: PollOutcome) {
            latency.record(duration: outcome.duration)
            var kinds = outcome.failures.map(\.kind)
            for reading in outcome.readings {
                switch reading.value {
                case .failure(.notAvailable): kinds.append("not_available")
                case .failure(.outOfRange): kinds.append("implausible")
                default: break
                }
            }
            for kind in kinds { Counter(label: BridgeMetrics.meterErrors, dimensions: [("meter", id), ("kind", kind)]).increment() }
        }
    }

    static let step = Timer(label: controlStep)
    static let publishes = Counter(label: mqttPublishes)
}
