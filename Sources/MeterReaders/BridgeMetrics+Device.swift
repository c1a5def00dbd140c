import CoreMetrics
import Metrics
import Modbus
import RegisterMaps
import ServiceSupport

extension BridgeMetrics {
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
}
