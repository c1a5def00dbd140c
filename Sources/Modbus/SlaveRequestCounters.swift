import Foundation
import CoreMetrics
import LinkValues

/// Requests the slave server answered, by function code and result (`ok` or the exception code),
/// as swift-metrics counters. Used by the server's one thread only; each counter is made once
/// (making one looks it up in the metrics backend).
final class SlaveRequestCounters {
    static let label = "chargebridge_modbus_requests_total"
    private var counters: [UInt16: Counter] = [:]

    func count(_ frame: ArraySlice<UInt8>, exception: ModbusException?) {
        guard frame.count > 7 else { return }
        let function = frame[frame.startIndex + 7]
        let key = UInt16(function) << 8 | UInt16(exception?.rawValue ?? 0)
        if let counter = counters[key] { return counter.increment() }
        // an unknown function code is one label, not 256: a stranger cannot grow the metrics
        let known: Set<UInt8> = [1, 2, 3, 4, 5, 6, 15, 16, 23, 43]
        let name = known.contains(function) ? String(format: "%02d", function) : "other"
        let result = exception.map { String(format: "exception_%02d", $0.rawValue) } ?? "ok"
        let counter = Counter(label: Self.label, dimensions: [("function", name), ("result", result)])
        if known.contains(function) { counters[key] = counter }
        counter.increment()
    }
}
