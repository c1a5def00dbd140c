import Foundation

/// A TCP listening socket for the Modbus servers: bound (IPv4, IPv6 or a name), listening, with a
/// clear error for a port that is taken or below 1024 without the capability.
enum ListeningSocket {
    static func open(host: String, port: Int) throws(ModbusError) -> Int32 {
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
        // non-blocking: the server accepts until the queue is empty, never waits in accept()
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        guard Glibc.listen(fd, 256) == 0 else {
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

/// Finds a port taken by another process (or closed to this user) before the service is started
/// with it: binds the address and port the way the listeners do, and lets go at once.
public enum PortProbe {
    /// nil when the port can be bound now; otherwise why not.
    public static func problem(host: String, port: Int) -> String? { trial(host: host, port: port)?.problem }

    /// nil when the port can be bound now; otherwise why not, and whether someone holds it.
    public static func trial(host: String, port: Int) -> (problem: String, inUse: Bool)? {
        do {
            Glibc.close(try ListeningSocket.open(host: host, port: port))
            return nil
        } catch {
            return (error.description, error.description.contains(String(cString: strerror(EADDRINUSE))))
        }
    }
}
