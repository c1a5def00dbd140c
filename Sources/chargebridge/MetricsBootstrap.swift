import CoreMetrics
import Prometheus

/// swift-metrics reports into one Prometheus registry, read by the HTTP endpoint's `/metrics`.
/// Bootstrapped once, only when `http:` is configured (otherwise every metric is a no-op).
enum MetricsBootstrap {
    static let registry = PrometheusCollectorRegistry()

    static func start() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // a control step takes micro- to milliseconds; a meter poll milliseconds to its timeout
        factory.durationHistogramBuckets["chargebridge_control_step_seconds"] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        ]
        MetricsSystem.bootstrap(factory)
    }
}
