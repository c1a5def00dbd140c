import Foundation

/// The numeric addresses a listener's host binds, so that two listeners are compared as the
/// kernel will see them (`localhost` and `127.0.0.1` are one address).
public enum ListenerAddresses {
    static let wildcards: Set<String> = ["0.0.0.0", "::"]

    public static func resolve(_ host: String) throws(ModbusError) -> Set<String> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, "1", &hints, &found)
        guard status == 0 else { throw .connection("cannot resolve \(host): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(found) }
        var addresses: Set<String> = []
        var next = found
        while let info = next {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.insert(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            next = info.pointee.ai_next
        }
        return addresses
    }

    /// Two listeners on one port clash when they share an address or either takes every address.
    public static func overlap(_ a: Set<String>, _ b: Set<String>) -> Bool {
        !a.isDisjoint(with: b) || !a.isDisjoint(with: wildcards) || !b.isDisjoint(with: wildcards)
    }
}
