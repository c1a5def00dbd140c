import Foundation
import SEMP
import SEMPServer
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TestPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let peer = root.appendingPathComponent("Tests/Peers/semp_ems.py").path
    static let python = "/usr/bin/python3"
}

/// A backend of fixed devices that records the controls it is given. Refuses writes from a peer
/// when `allowWrite` is off (403) and controls of devices it does not have (400).
final class RecordingBackend: SEMPBackend {
    let fixed: Mutex<[SEMPDevice]>
    let received = Mutex<[(control: SEMPControl, peerAddress: [UInt8], peer: String)]>([])
    let allowWrite: Mutex<Bool>

    init(devices: [SEMPDevice], allowWrite: Bool = true) {
        fixed = Mutex(devices)
        self.allowWrite = Mutex(allowWrite)
    }

    func devices() -> [SEMPDevice] { fixed.withLock { $0 } }

    func control(_ control: SEMPControl, peerAddress: [UInt8], peer: String) -> SEMPRefusal? {
        guard allowWrite.withLock({ $0 }) else { return SEMPRefusal(forbidden: true, message: "writes are not allowed from \(peer)") }
        let known = fixed.withLock { $0.contains { $0.id == control.deviceID } }
        guard known else { return SEMPRefusal(forbidden: false, message: "no device \(control.deviceID)") }
        received.withLock { $0.append((control, peerAddress, peer)) }
        // the charger follows: on with the recommended power
        fixed.withLock { devices in
            for index in devices.indices where devices[index].id == control.deviceID {
                devices[index].on = control.on
                devices[index].powerW = control.on ? min(control.recommendedPowerW ?? devices[index].minPowerW, devices[index].maxPowerW) : 0
            }
        }
        return nil
    }

    var controls: [SEMPControl] { received.withLock { $0.map(\.control) } }
}

enum Fixtures {
    static let uuid = "6f1c2a9e-3b7d-4c55-9a0e-2d8f1b6c4e10"
    static let wallboxID = SEMPDevice.deviceID(for: "garage", seed: uuid)
    static let carportID = SEMPDevice.deviceID(for: "carport", seed: uuid)

    static var wallbox: SEMPDevice {
        SEMPDevice(id: wallboxID, name: "Garage <left> & \"right\"", vendor: "Vestel", serial: "EVC04-0042",
                   minPowerW: 1380, maxPowerW: 11_040, on: true, powerW: 4140, connected: true,
                   minEnergyWh: 2000, maxEnergyWh: 30_000, emSignalsAccepted: true)
    }

    static var carport: SEMPDevice {
        SEMPDevice(id: carportID, name: "Carport", vendor: "ABL", serial: "2W2212",
                   minPowerW: 1380, maxPowerW: 22_080, on: false, powerW: 0, connected: false, emSignalsAccepted: false)
    }
}

/// Runs blocking work on a thread of its own, so that no thread of the cooperative pool waits on a
/// socket (the server's handlers need that pool to answer).
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// Minimal blocking socket clients (loopback only) with generous timeouts.
enum Sockets {
    static let timeoutS = 30

    struct HTTPResponse: Sendable {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One request on a fresh connection (`Connection: close`), the whole answer.
    static func http(port: Int, method: String, path: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> HTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return try exchange(port: port, send: Array(head.utf8) + body)
    }

    /// Sends `head` only, and reads what the server answers (for bodies a server must refuse unseen).
    static func exchange(port: Int, send bytes: [UInt8]) throws -> HTTPResponse {
        let fd = try connectTCP(port: port)
        defer { close(fd) }
        try sendAll(fd, bytes)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[0 ..< count]
                if let response = complete(received) { return response }
            } else if count == 0 {
                break
            } else if errno == EINTR {
                continue
            } else if errno == ECONNRESET, let response = parse(received) {
                return response
            } else {
                throw TestFailure("recv: \(String(cString: strerror(errno))) after \(received.count) bytes")
            }
        }
        guard let response = parse(received) else { throw TestFailure("no HTTP response (\(received.count) bytes)") }
        return response
    }

    /// The first response, once its body (Content-Length) is all there; what follows is not its.
    private static func complete(_ bytes: [UInt8]) -> HTTPResponse? {
        guard var response = parse(bytes), let length = response.headers["content-length"].flatMap(Int.init),
              response.body.count >= length else { return nil }
        response.body = Array(response.body.prefix(length))
        return response
    }

    private static func parse(_ bytes: [UInt8]) -> HTTPResponse? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0 ..< max(0, bytes.count - 3)).first(where: { Array(bytes[$0 ..< $0 + 4]) == separator }) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "),
              let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPResponse(status: status, headers: headers, body: Array(bytes[(end + 4)...]))
    }

    static func connectTCP(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        setTimeouts(fd)
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw TestFailure("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw TestFailure("send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// Sends one datagram to 127.0.0.1:port and collects the answers: until `count` have come, or
    /// until `quietS` seconds pass without one after the first (or `timeoutS` without any).
    static func udp(port: Int, send datagram: [UInt8], count: Int = 1, quietS: Int? = nil) throws -> [String] {
        try udp(port: port, send: [datagram], count: count, quietS: quietS)
    }

    /// Sends the datagrams in order from one socket, then collects answers as above.
    static func udp(port: Int, send datagrams: [[UInt8]], count: Int = 1, quietS: Int? = nil) throws -> [String] {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        setTimeouts(fd)
        var address = loopback(port: port)
        for datagram in datagrams {
            let sent = datagram.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == datagram.count else { throw TestFailure("sendto: \(String(cString: strerror(errno)))") }
        }
        var answers: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while answers.count < count {
            if let quietS, !answers.isEmpty { setTimeouts(fd, seconds: quietS) }
            let received = recv(fd, &buffer, buffer.count, 0)
            if received < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                throw TestFailure("recv: \(String(cString: strerror(errno)))")
            }
            answers.append(String(decoding: buffer[0 ..< received], as: UTF8.self))
        }
        return answers
    }

    private static func setTimeouts(_ fd: Int32, seconds: Int = timeoutS) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return address
    }
}

/// A child process (posix_spawn, waitpid — Foundation's `Process` can miss a child's exit on Linux
/// when another child inherited its socket): stdout and stderr into files, the exit status.
enum Child {
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("semp-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout").path, err = directory.appendingPathComponent("stderr").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
        let status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return (status, stdout, stderr)
    }
}
