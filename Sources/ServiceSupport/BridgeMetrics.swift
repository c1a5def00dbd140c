import CoreMetrics
import Metrics

/// The service's measurements as they happen (swift-metrics): meter polls, control steps, MQTT
/// publishes. Without a metrics backend (every command but `run` with `http:`) they cost nothing.
/// Values that are state (setpoints, currents, online) are read when `/metrics` is asked for.
package enum BridgeMetrics {
    package static let meterPoll = "chargebridge_meter_poll_seconds"
    package static let meterErrors = "chargebridge_meter_errors_total"
    static let controlStep = "chargebridge_control_step_seconds"
    static let mqttPublishes = "chargebridge_mqtt_publishes_total"

    package static let step = Timer(label: controlStep)
    package static let publishes = Counter(label: mqttPublishes)
}
