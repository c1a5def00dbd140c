import Foundation

/// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "127.0.0.2", "::1/128"), for `allow_write`.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let prefix: Int

    /// nil when `text` is not an address or a network.
    public init?(_ text: String) {
        // Empty pieces are kept: "" and "/" must fail here, not index an empty array.
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let address = AddressRange.parse(first) else { return nil }
        let bits = address.count * 8
        let prefix = parts.count == 2 ? AddressRange.prefixLength(parts[1]) : bits
        guard let prefix, (0...bits).contains(prefix) else { return nil }
        bytes = address
        self.prefix = prefix
    }

    /// Decimal digits only: `Int` would also take "+8".
    private static func prefixLength(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// 4 or 16 bytes of a numeric address; nil otherwise.
    public static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        return nil
    }

    /// Whether `address` (4 or 16 bytes; an IPv4-mapped IPv6 address counts as IPv4) lies in the range.
    public func contains(_ address: [UInt8]) -> Bool {
        var address = address
        if address.count == 16, bytes.count == 4, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            address = Array(address[12...])
        }
        guard address.count == bytes.count else { return false }
        var remaining = prefix
        for index in bytes.indices where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= take
        }
        return true
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return "\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))/\(prefix)"
    }

    /// Loopback: 127.0.0.0/8 and ::1.
    public static func isLoopback(_ host: String) -> Bool {
        guard let address = parse(host) else { return host == "localhost" }
        return AddressRange("127.0.0.0/8")!.contains(address) || AddressRange("::1/128")!.contains(address)
    }
}
