import CModbus
import Foundation

/// What can go wrong talking Modbus. Every case carries enough text for an installer.
public enum ModbusError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The device did not answer within the response timeout.
    case timeout
    /// The device answered with a Modbus exception (01 illegal function, 02 illegal address, …).
    case exception(code: UInt8)
    /// The answer was malformed (CRC, wrong transaction, wrong unit, wrong length).
    case badResponse(String)
    /// The link could not be opened or broke (connection refused, reset, …).
    case connection(String)
    /// A TCP connect got no answer or was refused; the text is the whole message, with the likely cause.
    case unreachable(String)
    /// The serial device does not exist or cannot be used as a serial line.
    case serialDevice(String)
    /// The arguments cannot be sent (address out of range, too many registers, …).
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .timeout: "no answer (timeout)"
        case .exception(let code): "Modbus exception \(String(format: "%02d", code)) (\(ModbusError.exceptionName(code)))"
        case .badResponse(let text): "bad answer: \(text)"
        case .connection(let text): "connection failed: \(text)"
        case .unreachable(let text): text
        case .serialDevice(let text): "serial device: \(text)"
        case .invalidRequest(let text): "invalid request: \(text)"
        }
    }

    /// A label for counting errors by kind (metrics).
    public var kind: String {
        switch self {
        case .timeout: "timeout"
        case .exception: "exception"
        case .badResponse: "bad_answer"
        case .connection, .unreachable: "connection"
        case .serialDevice: "serial_device"
        case .invalidRequest: "invalid_request"
        }
    }

    /// Link-level failures after which the connection is re-opened on the next request.
    public var needsReconnect: Bool {
        switch self {
        case .connection, .unreachable, .badResponse: true
        default: false
        }
    }

    public static func exceptionName(_ code: UInt8) -> String {
        switch code {
        case 1: "illegal function"
        case 2: "illegal data address"
        case 3: "illegal data value"
        case 4: "server device failure"
        case 5: "acknowledge"
        case 6: "server device busy"
        case 8: "memory parity error"
        case 10: "gateway path unavailable"
        case 11: "gateway target failed to respond"
        default: "unknown exception"
        }
    }

    /// Classifies `errno` right after a failed libmodbus call.
    static func fromErrno(_ code: Int32) -> ModbusError {
        let base = Int32(MODBUS_ENOBASE)
        let text = String(cString: modbus_strerror(code))
        switch code {
        case ETIMEDOUT, EAGAIN: return .timeout
        case (base + 1)...(base + 11):            // EMBXILFUN … EMBXGTAR
            return .exception(code: UInt8(code - base))
        case (base + 12)...(base + 17):           // EMBBADCRC … EMBBADSLAVE
            return .badResponse(text)
        default: return .connection(text)
        }
    }
}
