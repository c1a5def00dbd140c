import CModbus
import Foundation
import RegisterMaps
import Synchronization

/// A Modbus TCP server that serves a `RegisterImage` to any number of clients from one thread.
///
/// One `poll()` loop watches the listening socket and every client socket, so no client can hold a
/// thread; libmodbus parses each request and builds the reply (including exception 02 for addresses
/// outside the image). A client that sends half a frame is cut off after the byte timeout.
public final class ModbusTCPServer: Sendable {
    public let host: String
    /// The port actually bound (a requested port 0 picks a free one).
    public let port: Int
    /// Only requests for this unit id are answered (others get exception 0B); nil answers every unit.
    public let unit: Int?

    private let image: Mutex<RegisterImage>
    private let stopRequested = Atomic<Bool>(false)
    private let listenSocket: Int32
    private let finished = DispatchSemaphore(value: 0)
    static let maxClients = 64

    public init(host: String = "127.0.0.1", port: Int, image: RegisterImage, unit: Int? = nil) throws(ModbusError) {
        self.host = host
        self.unit = unit
        self.image = Mutex(image)
        let socket = try ModbusTCPServer.listen(host: host, port: port)
        listenSocket = socket
        self.port = ModbusTCPServer.boundPort(socket) ?? port
    }

    /// Serves on a thread of its own until `stop()`.
    public func start() {
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.name = "modbus-server-\(port)"
        thread.start()
    }

    /// Stops serving, closes every socket and returns once the thread has ended.
    public func stop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    /// Replaces values while serving (the simulated device changing its readings).
    public func update(_ body: (inout RegisterImage) -> Void) {
        image.withLock { body(&$0) }
    }

    public func snapshot() -> RegisterImage { image.withLock { $0 } }

    // MARK: - Serving

    private func serve() {
        guard let context = modbus_new_tcp(nil, 0) else { return }
        defer { modbus_free(context) }
        // A request that starts must complete quickly; otherwise the client is dropped.
        modbus_set_byte_timeout(context, 0, 200_000)
        modbus_set_indication_timeout(context, 0, 200_000)
        var clients: [Int32] = []
        var query = [UInt8](repeating: 0, count: Int(MODBUS_TCP_MAX_ADU_LENGTH))
        defer {
            clients.forEach { Glibc.close($0) }
            Glibc.close(listenSocket)
        }
        while !stopRequested.load(ordering: .acquiring) {
            var fds = [pollfd(fd: listenSocket, events: Int16(POLLIN), revents: 0)]
            fds += clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready <= 0 { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let client = accept(listenSocket, nil, nil)
                if client >= 0 {
                    if clients.count >= ModbusTCPServer.maxClients { Glibc.close(client) } else { clients.append(client) }
                }
            }
            var closed: Set<Int32> = []
            for entry in fds.dropFirst() where entry.revents != 0 {
                if !handle(client: entry.fd, context: context, query: &query) { closed.insert(entry.fd) }
            }
            if !closed.isEmpty {
                closed.forEach { Glibc.close($0) }
                clients.removeAll { closed.contains($0) }
            }
        }
    }

    /// Answers one request; false when the connection is finished (closed, broken or malformed).
    private func handle(client: Int32, context: OpaquePointer, query: inout [UInt8]) -> Bool {
        modbus_set_socket(context, client)
        let length = query.withUnsafeMutableBufferPointer { modbus_receive(context, $0.baseAddress) }
        if length <= 0 { return length == 0 }
        let requestUnit = Int(query[6])
        if let unit, requestUnit != unit {
            _ = query.withUnsafeBufferPointer { modbus_reply_exception(context, $0.baseAddress, UInt32(MODBUS_EXCEPTION_GATEWAY_TARGET)) }
            return true
        }
        return image.withLock { image in
            guard let mapping = ModbusTCPServer.mapping(for: image) else { return false }
            defer { modbus_mapping_free(mapping) }
            let sent = query.withUnsafeBufferPointer { modbus_reply(context, $0.baseAddress, length, mapping) }
            if sent > 0 { ModbusTCPServer.copyWrites(from: mapping, into: &image) }
            return sent != -1
        }
    }

    /// libmodbus replies from a `modbus_mapping_t`; one is built per request from the image so the
    /// image stays the single source of truth (and writes by clients are copied back).
    static func mapping(for image: RegisterImage) -> UnsafeMutablePointer<modbus_mapping_t>? {
        func span(_ function: RegisterFunction) -> (UInt32, Int32) {
            guard let table = image.tables[function] else { return (0, 0) }
            return (UInt32(table.start), Int32(table.values.count))
        }
        let coils = span(.coil), discrete = span(.discrete), holding = span(.holding), input = span(.input)
        guard let mapping = modbus_mapping_new_start_address(coils.0, UInt32(coils.1), discrete.0, UInt32(discrete.1),
                                                             holding.0, UInt32(holding.1), input.0, UInt32(input.1)) else { return nil }
        for (function, table) in image.tables {
            for (offset, value) in table.values.enumerated() {
                switch function {
                case .coil: mapping.pointee.tab_bits[offset] = UInt8(value != 0 ? 1 : 0)
                case .discrete: mapping.pointee.tab_input_bits[offset] = UInt8(value != 0 ? 1 : 0)
                case .holding: mapping.pointee.tab_registers[offset] = value
                case .input: mapping.pointee.tab_input_registers[offset] = value
                }
            }
        }
        return mapping
    }

    static func copyWrites(from mapping: UnsafeMutablePointer<modbus_mapping_t>, into image: inout RegisterImage) {
        if var table = image.tables[.holding] {
            for offset in table.values.indices { table.values[offset] = mapping.pointee.tab_registers[offset] }
            image.tables[.holding] = table
        }
        if var table = image.tables[.coil] {
            for offset in table.values.indices { table.values[offset] = UInt16(mapping.pointee.tab_bits[offset]) }
            image.tables[.coil] = table
        }
    }

    // MARK: - Sockets

    static func listen(host: String, port: Int) throws(ModbusError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let info = found else {
            throw .connection("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw .connection("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let text = String(cString: strerror(errno))
            Glibc.close(fd)
            let hint = port < 1024 ? " (ports below 1024 need CAP_NET_BIND_SERVICE)" : ""
            throw .connection("cannot listen on \(host):\(port): \(text)\(hint)")
        }
        guard Glibc.listen(fd, 64) == 0 else {
            let text = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .connection("listen on \(host):\(port): \(text)")
        }
        return fd
    }

    static func boundPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        } == 0
        guard ok else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }
}
