/// How a charger's reader writes an RFID UID, and so how a presented tag is brought into the
/// form the local list holds (Powerstation TWO (Bender CC613) manual §5.3 "RFID Tag letter
/// case": 0a0e9b83, 0A0E9B83, 839b0e0a and 839B0E0A are one card).
///
/// - `letterCase` is applied to both sides, presented tags and list entries, so they compare equal.
/// - `byteOrder: reversed` says the charger reports the bytes of a hex UID in the reverse order
///   of the list: a presented tag is reversed before the look-up (and a list entry reversed when it
///   is sent to that charger). Tags that are not an even number of hex digits are left as they are.
public struct UIDFormat: Sendable, Equatable, Hashable, Codable {
    public enum LetterCase: String, Sendable, CaseIterable, Codable {
        case upper, lower
        case asIs = "as_is"
    }

    public enum ByteOrder: String, Sendable, CaseIterable, Codable {
        case normal, reversed
    }

    public var letterCase: LetterCase
    public var byteOrder: ByteOrder

    public init(letterCase: LetterCase = .asIs, byteOrder: ByteOrder = .normal) {
        self.letterCase = letterCase
        self.byteOrder = byteOrder
    }

    /// A list entry (or a postfix) in comparable form: the letter case only.
    public func entry(_ text: String) -> String {
        switch letterCase {
        case .upper: text.uppercased()
        case .lower: text.lowercased()
        case .asIs: text
        }
    }

    /// A tag as the charger presented it, in the list's form: byte order, then letter case.
    public func presented(_ tag: String) -> String {
        entry(byteOrder == .reversed ? Self.reversedBytes(tag) : tag)
    }

    /// A list entry as this charger will present the card (the inverse of `presented`, but for the
    /// letter case, which is the configured one): what goes into the charger's own local list.
    public func onCharger(_ entry: String) -> String { presented(entry) }

    /// The bytes of a hex UID in reverse order ("0a0e9b83" → "839b0e0a"); anything that is not
    /// an even number of hex digits comes back unchanged.
    public static func reversedBytes(_ tag: String) -> String {
        let digits = Array(tag)
        guard digits.count >= 2, digits.count % 2 == 0, digits.allSatisfy(\.isHexDigit) else { return tag }
        var result = ""
        result.reserveCapacity(digits.count)
        for start in stride(from: digits.count - 2, through: 0, by: -2) {
            result.append(digits[start])
            result.append(digits[start + 1])
        }
        return result
    }
}
