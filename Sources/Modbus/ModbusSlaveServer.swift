import CModbus
import Foundation
import LinkValues
import RegisterMaps
import Synchronization

/// Serves any number of Modbus TCP listeners from one thread with a `poll()` loop.
///
/// On an exclusive listener a connection becomes a device's master only when it **writes**; the
/// newest writer wins and the previous master is closed (EVC08: "only one active Modbus master
/// connection at any time"); a write becomes master only once it is accepted, and reading never
/// displaces anyone. Connections that are not masters wait in bounded pools (`ConnectionAdmission`):
/// addresses outside `allowWrite` cannot push out one that may write. In gateway mode the master is per unit id. Writes from addresses outside
/// `allowWrite`, or to a read-only listener, get exception 01 and change nothing. A shared listener
/// (a simulated meter) serves up to `maxShared` clients with no master. Frames are assembled here
/// from non-blocking reads, so a client that sends half a frame, floods, or stops reading costs the
/// others nothing. An `accept()` that fails (no file descriptors left) pauses accepting on that
/// listener for a second instead of spinning. libmodbus builds every reply.
public final class ModbusSlaveServer: Sendable {
    public let listeners: [SlaveListener]
    /// Ports actually bound, in listener order (a requested port 0 gets a free one).
    public let ports: [Int]
    public let frameTimeout: Duration
    private let sockets: [Int32]
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)

    public init(listeners: [SlaveListener], frameTimeout: Duration = .seconds(1)) throws(ModbusError) {
        var sockets: [Int32] = []
        for listener in listeners {
            do {
                sockets.append(try ListeningSocket.open(host: listener.host, port: listener.port))
            } catch {
                sockets.forEach { Glibc.close($0) }
                throw error
            }
        }
        self.listeners = listeners
        self.sockets = sockets
        self.frameTimeout = frameTimeout
        ports = zip(sockets, listeners).map { ListeningSocket.boundPort($0) ?? $1.port }
    }

    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            var loop = SlaveLoop(server: self)
            loop.run()
            finished.signal()
        }
        thread.name = "modbus-slaves"
        thread.start()
    }

    /// Stops serving, closes every socket, and returns once the thread has ended.
    public func stop() {
        guard started.load(ordering: .acquiring), !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    /// A server that never started (its owner failed to start) still holds its sockets: closed here.
    deinit {
        if !started.load(ordering: .acquiring) { sockets.forEach { Glibc.close($0) } }
    }

    fileprivate var shouldStop: Bool { stopRequested.load(ordering: .acquiring) }
    fileprivate var listenSockets: [Int32] { sockets }
}

/// The serving thread's state. Not shared: only the loop touches it.
private struct SlaveLoop {
    struct Connection {
        let fd: Int32
        let listener: Int
        let peer: String
        /// The peer's address bytes (4 or 16), for `allowWrite`.
        let address: [UInt8]
        /// Whether the address may write here (decides the pool it waits in until it is master).
        let mayWrite: Bool
        /// Order of arrival: the oldest waiting connection gives way first.
        let serial: UInt64
        var buffer: [UInt8] = []
        var frameStarted: ContinuousClock.Instant?
        /// The devices (master groups) this connection is master of: the handler, and the device's
        /// drop counter when it became master.
        var masterOf: [ObjectIdentifier: (handler: any ModbusSlaveHandler, drops: Int)] = [:]
    }

    let server: ModbusSlaveServer
    var connections: [Int32: Connection] = [:]      // by socket
    /// The master of each device (by master group: one across all the listeners that serve it).
    var masters: [ObjectIdentifier: Int32] = [:]
    /// Listeners whose accept failed: not polled for accepts until then.
    var acceptPausedUntil: [Int: ContinuousClock.Instant] = [:]
    var acceptFailureLogged = false
    var arrivals: UInt64 = 0
    static let maxShared = 16
    let context: OpaquePointer
    let scratch: UnsafeMutablePointer<modbus_mapping_t>
    var receive = [UInt8](repeating: 0, count: 2048)
    let requests = SlaveRequestCounters()

    init(server: ModbusSlaveServer) {
        self.server = server
        context = modbus_new_tcp(nil, 0)
        // One reusable table covering every address: a reply copies only the requested registers.
        scratch = modbus_mapping_new_start_address(0, 65535, 0, 65535, 0, 65535, 0, 65535)
    }

    /// Poll set: the listeners, then one entry per connection (its socket in `owners`).
    /// Rebuilt only when a connection opens or closes, so a request costs no allocation here.
    var fds: [pollfd] = []
    var owners: [Int32] = []
    var pollSetChanged = true
    var lastTimeoutCheck = ContinuousClock.now

    mutating func run() {
        defer {
            for index in Array(connections.keys) { close(index, reason: "service stopping") }
            server.listenSockets.forEach { Glibc.close($0) }
            modbus_mapping_free(scratch)
            modbus_free(context)
        }
        let listeners = server.listenSockets.count
        while !server.shouldStop {
            if pollSetChanged {
                owners = Array(connections.keys)
                fds = server.listenSockets.enumerated().map { index, fd in
                    pollfd(fd: fd, events: acceptPausedUntil[index] == nil ? Int16(POLLIN) : 0, revents: 0)
                } + owners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                pollSetChanged = false
            } else {
                for index in fds.indices { fds[index].revents = 0 }
            }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready > 0 {
                let snapshot = fds, owning = owners
                for index in 0..<listeners where snapshot[index].revents & Int16(POLLIN) != 0 {
                    // everything queued, bounded: a burst of connections is not answered one per poll
                    for _ in 0..<64 where accept(listener: index) {}
                }
                for (offset, fd) in owning.enumerated() where snapshot[listeners + offset].revents != 0 && connections[fd] != nil {
                    serve(fd)
                }
            }
            // Failsafe and stalled frames are checked every 50 ms, not on every request.
            if ContinuousClock.now - lastTimeoutCheck >= .milliseconds(50) {
                lastTimeoutCheck = .now
                enforceTimeouts()
                let resumed = acceptPausedUntil.filter { $0.value <= .now }.map(\.key)
                if !resumed.isEmpty {
                    resumed.forEach { acceptPausedUntil[$0] = nil }
                    pollSetChanged = true
                }
            }
        }
    }

    /// Accepts one connection; false when none was waiting (or accepting failed).
    @discardableResult
    mutating func accept(listener index: Int) -> Bool {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(server.listenSockets[index], $0, &length) }
        }
        guard fd >= 0 else {
            // out of file descriptors: the listener stays readable, so polling it would spin a core
            if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                acceptPausedUntil[index] = .now + .seconds(1)
                pollSetChanged = true
                if !acceptFailureLogged {
                    acceptFailureLogged = true
                    let listener = server.listeners[index]
                    FileHandle.standardError.write(Data("warning: Modbus listener \(listener.host):\(listener.port) cannot accept connections: \(String(cString: strerror(errno))); accepting paused 1 s at a time, connected masters are still served (raise LimitNOFILE)\n".utf8))
                }
            }
            return false
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        let listener = server.listeners[index]
        let current = connections.values.filter { $0.listener == index }
        let bytes = SlaveLoop.addressBytes(&address)
        let mayWrite = listener.refusal(for: bytes) == nil
        if !listener.exclusive {
            guard current.count < Self.maxShared else {
                Glibc.close(fd)
                return true
            }
        } else {
            let waiting = current.filter { $0.masterOf.isEmpty }.map { ConnectionAdmission.Waiting(id: $0.fd, opened: $0.serial, mayWrite: $0.mayWrite) }
            switch ConnectionAdmission.decide(newcomerMayWrite: mayWrite, waiting: waiting, maxReaders: listener.maxReaders,
                                              everyoneMayWrite: listener.everyoneMayWrite) {
            case .refuse:
                Glibc.close(fd)
                return true
            case .admit(let evicting):
                if let evicting { close(evicting, reason: "too many connections: the oldest waiting one gives way") }
            }
        }
        arrivals += 1
        connections[fd] = Connection(fd: fd, listener: index, peer: SlaveLoop.describe(&address), address: bytes, mayWrite: mayWrite,
                                     serial: arrivals)
        pollSetChanged = true
        return true
    }

    /// `fd` wrote to `handler`'s device: it becomes that device's master if it is not already.
    /// The previous master (on this listener or another face of the device) is closed if that
    /// leaves it master of nothing, else it is demoted for this device only.
    mutating func takeMaster(_ fd: Int32, handler: any ModbusSlaveHandler) {
        let group = handler.masterGroup
        guard let connection = connections[fd], connection.masterOf[group] == nil else { return }
        let previous = masters[group]
        masters[group] = fd
        connections[fd]?.masterOf[group] = (handler, handler.masterDrops)
        if let previous, previous != fd, var old = connections[previous] {
            old.masterOf[group] = nil
            connections[previous] = old
            if old.masterOf.isEmpty {
                close(previous, reason: "replaced by a newer master", also: [handler])
            } else {
                handler.masterDisconnected(peer: old.peer, reason: "replaced by a newer master")
            }
        }
        handler.masterConnected(peer: connection.peer, replaced: previous != nil && previous != fd)
    }

    /// - Parameter extra: devices to tell besides those the connection is master of (one it just lost).
    mutating func close(_ fd: Int32, reason: String, also extra: [any ModbusSlaveHandler] = []) {
        guard let connection = connections.removeValue(forKey: fd) else { return }
        Glibc.close(connection.fd)
        pollSetChanged = true
        // readers come and go without a word; a master's device hears of it
        for handler in connection.masterOf.values.map(\.handler) + extra {
            if masters[handler.masterGroup] == fd { masters[handler.masterGroup] = nil }
            handler.masterDisconnected(peer: connection.peer, reason: reason)
        }
    }

    /// Reads what arrived and answers every complete frame.
    mutating func serve(_ index: Int32) {
        guard var connection = connections[index] else { return }
        let count = receive.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count == 0 { return close(index, reason: "closed by the master") }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            return close(index, reason: "connection error: \(String(cString: strerror(errno)))")
        }
        if connection.buffer.isEmpty { connection.frameStarted = .now }
        connections[index]?.buffer = []     // the local copy now owns the bytes: appending does not copy them
        connection.buffer.append(contentsOf: receive[0..<count])
        var consumed = 0
        while connection.buffer.count - consumed >= 7 {
            let header = connection.buffer[consumed...]
            let protocolID = Int(header[header.startIndex + 2]) << 8 | Int(header[header.startIndex + 3])
            let length = Int(header[header.startIndex + 4]) << 8 | Int(header[header.startIndex + 5])
            guard protocolID == 0, (2...254).contains(length) else {
                return close(index, reason: "malformed frame header (protocol \(protocolID), length \(length))")
            }
            guard connection.buffer.count - consumed >= 6 + length else { break }
            let frame = connection.buffer[consumed..<(consumed + 6 + length)]
            consumed += 6 + length
            guard answer(frame, fd: connection.fd, listener: server.listeners[connection.listener], address: connection.address, peer: connection.peer) else {
                return close(index, reason: "the master does not read its replies")
            }
        }
        connection.buffer.removeFirst(consumed)
        // only the framing state: answering may have made this connection a master meanwhile
        guard connections[index] != nil else { return }
        connections[index]?.frameStarted = connection.buffer.isEmpty ? nil : (consumed > 0 ? .now : connection.frameStarted)
        connections[index]?.buffer = connection.buffer
    }

    /// Answers one complete frame. False when the reply could not be sent.
    mutating func answer(_ frame: ArraySlice<UInt8>, fd: Int32, listener: SlaveListener, address: [UInt8], peer: String) -> Bool {
        modbus_set_socket(context, fd)
        let slot = listener.slot(unit: frame[frame.startIndex + 6])
        guard let handler = listener.handler(slot: slot) else { return reply(frame, exception: .gatewayTargetFailed) }
        /// A write from a source that may not write is refused (exception 01, nothing changes).
        func mayWrite() -> Bool {
            guard listener.exclusive, let reason = listener.refusal(for: address) else { return true }
            handler.writeRefused(peer: peer, reason: reason)
            return false
        }
        /// Only a write the device accepted makes the writer its master: a refused one displaces nobody.
        func written(_ loop: inout SlaveLoop, _ exception: ModbusException?) -> Bool {
            if let exception { return loop.reply(frame, exception: exception) }
            if listener.exclusive { loop.takeMaster(fd, handler: handler) }
            return loop.send(frame)
        }
        let pdu = frame[(frame.startIndex + 7)...]
        let function = pdu[pdu.startIndex]
        func word(_ offset: Int) -> Int { Int(pdu[pdu.startIndex + offset]) << 8 | Int(pdu[pdu.startIndex + offset + 1]) }
        switch function {
        case 0x01, 0x02, 0x03, 0x04:
            let kind: RegisterFunction = switch function {
            case 0x01: .coil
            case 0x02: .discrete
            case 0x03: .holding
            default: .input
            }
            guard pdu.count == 5 else { return reply(frame, exception: .illegalDataValue) }
            let address = word(1), count = word(3)
            guard (1...kind.maxPerRequest).contains(count) else { return reply(frame, exception: .illegalDataValue) }
            guard address + count <= 65535 else { return reply(frame, exception: .illegalDataAddress) }
            switch handler.read(kind, address: address, count: count) {
            case .failure(let exception): return reply(frame, exception: exception)
            case .success(let values):
                // a handler that answers short would leave another device's values in the table
                guard values.count >= count else { return reply(frame, exception: .serverDeviceFailure) }
                store(values.prefix(count), function: kind, at: address)
                if connections[fd]?.masterOf[handler.masterGroup] != nil { handler.masterRead() }
                return send(frame)
            }
        case 0x06:
            guard pdu.count == 5 else { return reply(frame, exception: .illegalDataValue) }
            // within the reply table, or the write would take effect and libmodbus still answer 02
            guard word(1) < 65535 else { return reply(frame, exception: .illegalDataAddress) }
            guard mayWrite() else { return reply(frame, exception: .illegalFunction) }
            return written(&self, handler.write(address: word(1), values: [UInt16(word(3))], peer: peer))
        case 0x10:
            guard pdu.count >= 6 else { return reply(frame, exception: .illegalDataValue) }
            let address = word(1), count = word(3), bytes = Int(pdu[pdu.startIndex + 5])
            guard (1...123).contains(count), bytes == 2 * count, pdu.count == 6 + bytes else { return reply(frame, exception: .illegalDataValue) }
            guard address + count <= 65535 else { return reply(frame, exception: .illegalDataAddress) }
            let values = (0..<count).map { UInt16(word(6 + 2 * $0)) }
            guard mayWrite() else { return reply(frame, exception: .illegalFunction) }
            return written(&self, handler.write(address: address, values: values, peer: peer))
        default:
            return reply(frame, exception: .illegalFunction)
        }
    }

    /// Puts the values where `modbus_reply` will read them (bits as 0/1).
    func store(_ values: ArraySlice<UInt16>, function: RegisterFunction, at address: Int) {
        let mapping = scratch.pointee
        for (offset, value) in values.enumerated() {
            switch function {
            case .coil: mapping.tab_bits[address + offset] = value == 0 ? 0 : 1
            case .discrete: mapping.tab_input_bits[address + offset] = value == 0 ? 0 : 1
            case .holding: mapping.tab_registers[address + offset] = value
            case .input: mapping.tab_input_registers[address + offset] = value
            }
        }
    }

    /// libmodbus builds the normal reply from the scratch table (and, for writes, echoes the request).
    func send(_ frame: ArraySlice<UInt8>) -> Bool {
        requests.count(frame, exception: nil)
        return frame.withUnsafeBufferPointer { modbus_reply(context, $0.baseAddress, Int32($0.count), scratch) } > 0
    }

    func reply(_ frame: ArraySlice<UInt8>, exception: ModbusException) -> Bool {
        requests.count(frame, exception: exception)
        return frame.withUnsafeBufferPointer { modbus_reply_exception(context, $0.baseAddress, UInt32(exception.rawValue)) } > 0
    }

    /// Drops half-sent frames that stall, and masters whose devices entered failsafe.
    mutating func enforceTimeouts() {
        let now = ContinuousClock.now
        for (index, connection) in connections {
            if let started = connection.frameStarted, now - started > server.frameTimeout {
                close(index, reason: "incomplete frame for longer than \(server.frameTimeout)")
                continue
            }
            // a master whose device dropped it since (failsafe, a master on another channel) is no
            // longer its master (EVC08: the socket closes)
            let expired = connection.masterOf.filter { _, entry in entry.handler.masterDrops > entry.drops }
            guard let first = expired.first else { continue }
            if expired.count == connection.masterOf.count {
                close(index, reason: first.value.handler.dropReason)
            } else {
                for (group, entry) in expired {
                    connections[index]?.masterOf[group] = nil
                    if masters[group] == index { masters[group] = nil }
                    entry.handler.masterDisconnected(peer: connection.peer, reason: entry.handler.dropReason)
                }
            }
        }
    }

    static func addressBytes(_ address: inout sockaddr_storage) -> [UInt8] {
        let family = address.ss_family
        return withUnsafePointer(to: &address) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
        }
    }

    static func describe(_ address: inout sockaddr_storage) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST)), port = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let length = socklen_t(address.ss_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &port, socklen_t(port.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "?" }
        func text(_ chars: [CChar]) -> String { String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return "\(text(host)):\(text(port))"
    }
}
