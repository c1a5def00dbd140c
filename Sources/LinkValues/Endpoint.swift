import RegisterMaps

/// Where a Modbus device is reached.
public enum Endpoint: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case rtu(device: String, serial: SerialSettings)

    /// What one bus is: a TCP endpoint, or a serial device whatever its settings (one thread may
    /// own a serial line).
    public var bus: String {
        switch self {
        case .tcp: description
        case .rtu(let device, _): "rtu://\(device)"
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): "tcp://\(host):\(port)"
        case .rtu(let device, let serial):
            "rtu://\(device) \(serial.baud) \(serial.dataBits)\(serial.parity.rawValue)\(serial.stopBits)"
        }
    }

    /// Parses `HOST:PORT` (IPv6 as `[::1]:502`); the port defaults to 502.
    public static func parseTCP(_ text: String, defaultPort: Int = 502) -> Endpoint? {
        var host = text, port = defaultPort
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { guard let value = Int(rest.dropFirst()) else { return nil }; port = value }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            guard let value = Int(text[text.index(after: colon)...]) else { return nil }
            port = value
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return .tcp(host: host, port: port)
    }
}
