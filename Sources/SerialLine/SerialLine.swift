import CSerialPort
import Foundation
import RegisterMaps

/// A serial port opened for reading: a smart meter's consumer port (P1, TIC) sends, the bridge
/// only listens. Serial devices (USB adapters, UARTs) are opened through libserialport. A
/// pseudo-terminal — socat or ser2net bringing a remote meter's port in, and the tests' links — is
/// opened with termios directly: libserialport refuses them (its open needs modem-control ioctls a
/// pseudo-terminal does not have), and a pseudo-terminal ignores line settings anyway.
public final class SerialLine {
    public let device: String
    public let settings: SerialSettings
    private enum Backend {
        case library(OpaquePointer)
        case terminal(Int32)
    }
    private let backend: Backend

    public init(device: String, settings: SerialSettings) throws(SerialLineError) {
        self.device = device
        self.settings = settings
        let resolved = URL(fileURLWithPath: device).resolvingSymlinksInPath().path
        if resolved.hasPrefix("/dev/pts/") {
            backend = .terminal(try Self.openTerminal(resolved, settings))
        } else {
            backend = .library(try Self.openWithLibrary(device, settings))
        }
    }

    deinit {
        switch backend {
        case .library(let port):
            sp_close(port)
            sp_free_port(port)
        case .terminal(let fd):
            close(fd)
        }
    }

    /// What arrived within `timeoutMilliseconds` (up to `maximum` bytes; empty when the line is quiet).
    public func read(maximum: Int = 512, timeoutMilliseconds: Int) throws(SerialLineError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        let count: Int
        switch backend {
        case .library(let port):
            // waits for the first byte, then takes what is there
            let result = buffer.withUnsafeMutableBytes { sp_blocking_read_next(port, $0.baseAddress, maximum, UInt32(timeoutMilliseconds)) }
            guard result.rawValue >= 0 else { throw SerialLineError("\(device): read failed (\(Self.lastError()))") }
            count = Int(result.rawValue)
        case .terminal(let fd):
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(timeoutMilliseconds)) > 0 else { return [] }
            // the other end closed (socat stopped): the line is gone
            if entry.revents & Int16(POLLHUP | POLLERR) != 0, entry.revents & Int16(POLLIN) == 0 {
                throw SerialLineError("\(device): the other end of the pseudo-terminal is gone")
            }
            let got = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, maximum) }
            if got < 0, errno == EAGAIN { return [] }
            guard got > 0 else { throw SerialLineError("\(device): read failed (\(got < 0 ? String(cString: strerror(errno)) : "end of file"))") }
            count = got
        }
        return Array(buffer.prefix(count))
    }

    private static func openWithLibrary(_ device: String, _ settings: SerialSettings) throws(SerialLineError) -> OpaquePointer {
        var found: OpaquePointer?
        guard sp_get_port_by_name(device, &found) == SP_OK, let port = found else {
            throw SerialLineError("\(device): no such serial port")
        }
        do {
            try check(sp_open(port, SP_MODE_READ), "open \(device)")
        } catch {
            sp_free_port(port)
            throw error
        }
        do {
            try check(sp_set_baudrate(port, Int32(settings.baud)), "baud rate \(settings.baud)")
            try check(sp_set_bits(port, Int32(settings.dataBits)), "\(settings.dataBits) data bits")
            let parity: sp_parity = switch settings.parity {
            case .none: SP_PARITY_NONE
            case .even: SP_PARITY_EVEN
            case .odd: SP_PARITY_ODD
            }
            try check(sp_set_parity(port, parity), "parity \(settings.parity.rawValue)")
            try check(sp_set_stopbits(port, Int32(settings.stopBits)), "\(settings.stopBits) stop bits")
            // no handshake lines: a P1 cable drives its request line itself
            _ = sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE)
        } catch {
            sp_close(port)
            sp_free_port(port)
            throw error
        }
        return port
    }

    /// Raw mode; the line settings are asked for but a pseudo-terminal may refuse 7-bit parity
    /// (it carries bytes, not bits): then it stays raw 8N1, and the decoders ignore bit 7.
    private static func openTerminal(_ path: String, _ settings: SerialSettings) throws(SerialLineError) -> Int32 {
        let fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SerialLineError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        var options = termios()
        guard tcgetattr(fd, &options) == 0 else {
            close(fd)
            throw SerialLineError("\(path): not a terminal")
        }
        cfmakeraw(&options)
        var wanted = options
        wanted.c_cflag &= ~tcflag_t(CSIZE | PARENB | PARODD | CSTOPB)
        wanted.c_cflag |= tcflag_t(settings.dataBits == 7 ? CS7 : CS8) | tcflag_t(CLOCAL | CREAD)
        if settings.parity != .none { wanted.c_cflag |= tcflag_t(PARENB) | (settings.parity == .odd ? tcflag_t(PARODD) : 0) }
        if settings.stopBits == 2 { wanted.c_cflag |= tcflag_t(CSTOPB) }
        if tcsetattr(fd, TCSANOW, &wanted) != 0 { _ = tcsetattr(fd, TCSANOW, &options) }
        return fd
    }

    private static func check(_ result: sp_return, _ what: String) throws(SerialLineError) {
        guard result.rawValue < 0 else { return }
        throw SerialLineError("\(what): \(lastError())")
    }

    private static func lastError() -> String {
        guard let message = sp_last_error_message() else { return "unknown error" }
        defer { sp_free_error_message(message) }
        return String(cString: message)
    }
}

public struct SerialLineError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
