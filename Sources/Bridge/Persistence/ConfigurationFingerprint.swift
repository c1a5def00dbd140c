/// A short, stable fingerprint of the configuration text (FNV-1a, 64 bit): enough to tell in the
/// event log whether a restart ran a changed file. Not a security hash.
enum ConfigurationFingerprint {
    static func of(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
