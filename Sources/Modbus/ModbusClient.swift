import CModbus
import Foundation
import LinkValues
import RegisterMaps

/// A Modbus master over TCP or RTU, wrapping one libmodbus context.
///
/// Calls block; use one client per thread (a libmodbus context is not thread-safe) and never call it
/// from the Swift concurrency pool. The link is opened lazily and re-opened after link failures, so a
/// device that drops off and comes back needs no restart.
public final class ModbusClient {
    public let endpoint: Endpoint
    /// Unit id of the next requests (several devices share one RS-485 bus or gateway).
    public var unit: Int {
        didSet { modbus_set_slave(context, Int32(unit)) }
    }
    private let context: OpaquePointer
    private var connected = false
    /// libmodbus waits this long for a TCP connect too; the error of a connect that timed out says it.
    private let timeout: Duration

    /// - Parameters:
    ///   - timeout: response timeout per request.
    ///   - byteTimeout: largest silence allowed inside one answer.
    public init(endpoint: Endpoint, unit: Int, timeout: Duration = .seconds(1), byteTimeout: Duration = .milliseconds(500)) throws(ModbusError) {
        guard (0...255).contains(unit) else { throw .invalidRequest("unit id \(unit) is not within 0…255") }
        let created: OpaquePointer?
        switch endpoint {
        case .tcp(let host, let port):
            // modbus_new_tcp_pi resolves names and IPv6 as well as IPv4 literals.
            created = modbus_new_tcp_pi(host, String(port))
        case .rtu(let device, let serial):
            guard FileManager.default.fileExists(atPath: device) else {
                throw .serialDevice("\(device) does not exist (list serial ports with `chargebridge ports`)")
            }
            let parity = CChar(UInt8(ascii: serial.parity == .none ? "N" : serial.parity == .even ? "E" : "O"))
            created = modbus_new_rtu(device, Int32(serial.baud), parity, Int32(serial.dataBits), Int32(serial.stopBits))
        }
        guard let created else { throw .connection("cannot create a Modbus context for \(endpoint): \(String(cString: modbus_strerror(errno)))") }
        context = created
        self.endpoint = endpoint
        self.unit = unit
        self.timeout = timeout
        modbus_set_slave(context, Int32(unit))
        ModbusClient.setTimeout(context, timeout, modbus_set_response_timeout)
        ModbusClient.setTimeout(context, byteTimeout, modbus_set_byte_timeout)
    }

    deinit {
        if connected { modbus_close(context) }
        modbus_free(context)
    }

    static func setTimeout(_ context: OpaquePointer, _ duration: Duration,
                           _ setter: (OpaquePointer?, UInt32, UInt32) -> Int32) {
        let micros = max(1000, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        _ = setter(context, UInt32(micros / 1_000_000), UInt32(micros % 1_000_000))
    }

    /// Opens the link now (requests also open it on demand).
    public func connect() throws(ModbusError) {
        guard !connected else { return }
        if modbus_connect(context) == -1 {
            let code = errno
            let text = String(cString: modbus_strerror(code))
            switch endpoint {
            case .rtu(let device, _): throw .serialDevice("cannot open \(device) as a serial line: \(text)")
            case .tcp(let host, let port): throw ConnectFailure.error(host: host, port: port, code: code, timeout: timeout, text: text)
            }
        }
        connected = true
    }

    /// The local address and port of a TCP connection ("127.0.0.1:50312"), as the peer sees it; nil otherwise.
    public var localAddress: String? {
        guard connected, case .tcp = endpoint else { return nil }
        let socket = modbus_get_socket(context)
        guard socket >= 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) == 0 }
        }
        guard found else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST)), service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let named = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard named == 0 else { return nil }
        func text(_ chars: [CChar]) -> String { String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return "\(text(host)):\(text(service))"
    }

    public func close() {
        if connected { modbus_close(context) }
        connected = false
    }

    /// Reads `count` registers (or bits, returned as 0/1) with the function's read code.
    public func read(_ function: RegisterFunction, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        guard address >= 0, count >= 1, count <= function.maxPerRequest, address + count <= 65536 else {
            throw .invalidRequest("\(count) \(function.rawValue) at \(address)")
        }
        return try perform { context throws(ModbusError) -> [UInt16] in
            var result: [UInt16]
            let rc: Int32
            switch function {
            case .holding, .input:
                result = [UInt16](repeating: 0, count: count)
                rc = result.withUnsafeMutableBufferPointer { buffer in
                    function == .holding
                        ? modbus_read_registers(context, Int32(address), Int32(count), buffer.baseAddress)
                        : modbus_read_input_registers(context, Int32(address), Int32(count), buffer.baseAddress)
                }
            case .coil, .discrete:
                var bits = [UInt8](repeating: 0, count: count)
                rc = bits.withUnsafeMutableBufferPointer { buffer in
                    function == .coil
                        ? modbus_read_bits(context, Int32(address), Int32(count), buffer.baseAddress)
                        : modbus_read_input_bits(context, Int32(address), Int32(count), buffer.baseAddress)
                }
                result = bits.map { UInt16($0) }
            }
            if rc == -1 { throw ModbusError.fromErrno(errno) }
            if rc != count { throw .badResponse("expected \(count) values, got \(rc)") }
            return result
        }
    }

    /// Writes holding registers (function 06 for one, 16 for several).
    public func write(address: Int, registers: [UInt16]) throws(ModbusError) {
        guard address >= 0, !registers.isEmpty, registers.count <= 123, address + registers.count <= 65536 else {
            throw .invalidRequest("write of \(registers.count) registers at \(address)")
        }
        try perform { context throws(ModbusError) in
            let rc = registers.count == 1
                ? modbus_write_register(context, Int32(address), registers[0])
                : registers.withUnsafeBufferPointer { modbus_write_registers(context, Int32(address), Int32(registers.count), $0.baseAddress) }
            if rc == -1 { throw ModbusError.fromErrno(errno) }
        }
    }

    /// Writes one coil (function 05).
    public func write(coil address: Int, _ value: Bool) throws(ModbusError) {
        try perform { context throws(ModbusError) in
            if modbus_write_bit(context, Int32(address), value ? 1 : 0) == -1 { throw ModbusError.fromErrno(errno) }
        }
    }

    /// Runs one transaction, opening the link first and dropping it after link failures so the next
    /// request starts clean (this also recovers from transaction-id mismatches).
    private func perform<T>(_ body: (OpaquePointer) throws(ModbusError) -> T) throws(ModbusError) -> T {
        try connect()
        do {
            return try body(context)
        } catch {
            if error.needsReconnect {
                close()
            } else if error == .timeout {
                modbus_flush(context)   // a late answer must not be taken for the next one
            }
            throw error
        }
    }
}
