import Foundation

/// What a failed TCP connect tells an installer. libmodbus reports a connect that timed out with
/// the errno of the pending connect (EINPROGRESS: "Operation now in progress"), which reads like
/// an internal state, not like a device that is off or a wrong port.
public enum ConnectFailure {
    /// - Parameters:
    ///   - code: errno after the failed `modbus_connect`.
    ///   - timeout: the timeout libmodbus waited for the connect (its response timeout).
    ///   - text: libmodbus's own text for `code`, kept for the other causes.
    public static func error(host: String, port: Int, code: Int32, timeout: Duration, text: String) -> ModbusError {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch code {
        case EINPROGRESS, ETIMEDOUT:
            return .unreachable("no answer from \(address) within \(seconds(timeout)) s (host down or port closed?)")
        case ECONNREFUSED:
            return .unreachable("connection refused by \(address) (nothing listens on that port?)")
        default:
            return .connection("tcp://\(address): \(text)")
        }
    }

    /// "1.0", "0.5", "2.25": seconds as a decimal number with at least one decimal.
    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return "\(value)"
    }
}
