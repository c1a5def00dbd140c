import RegisterMaps

/// Decodes SunSpec points from their registers. A value the device marks "not implemented"
/// (0x8000 for int16, 0xFFFF for uint16, 0 for accumulators, NaN for float32, …) is absent,
/// never zero; so is a value whose scale factor is absent or outside −10…10.
public enum SunSpecDecoding {
    /// The point's number before scaling, or nil when not implemented (or not a number).
    public static func raw(_ point: SunSpecPoint, _ words: ArraySlice<UInt16>) -> Double? {
        guard words.count >= point.size else { return nil }
        var pattern: UInt64 = 0
        for word in words.prefix(point.size) { pattern = pattern << 16 | UInt64(word) }
        switch point.type {
        case "int16", "sunssf":
            return pattern == 0x8000 ? nil : Double(Int16(truncatingIfNeeded: pattern))
        case "uint16", "enum16", "bitfield16", "count":
            return pattern == 0xFFFF ? nil : Double(pattern)
        case "acc16", "acc32", "acc64":
            return pattern == 0 ? nil : Double(pattern)
        case "int32":
            return pattern == 0x8000_0000 ? nil : Double(Int32(truncatingIfNeeded: pattern))
        case "uint32", "enum32", "bitfield32":
            return pattern == 0xFFFF_FFFF ? nil : Double(pattern)
        case "int64":
            return pattern == 0x8000_0000_0000_0000 ? nil : Double(Int64(bitPattern: pattern))
        case "uint64":
            return pattern == .max ? nil : Double(pattern)
        case "float32":
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: pattern))
            return value.isFinite ? Double(value) : nil
        case "float64":
            let value = Double(bitPattern: pattern)
            return value.isFinite ? value : nil
        default:
            return nil      // strings, pads, addresses: not numbers
        }
    }

    /// A scale factor's exponent, nil when not implemented or outside the range SunSpec allows.
    public static func exponent(_ point: SunSpecPoint, _ words: ArraySlice<UInt16>) -> Int? {
        guard let value = raw(point, words), (-10...10).contains(value) else { return nil }
        return Int(value)
    }

    /// raw × 10^exponent, divided rather than multiplied for negative exponents so 2301 × 10⁻¹ is exactly 230.1.
    public static func scaled(_ raw: Double, exponent: Int) -> Double {
        var power = 1.0
        for _ in 0..<abs(exponent) { power *= 10 }
        return exponent < 0 ? raw / power : raw * power
    }

    /// A string point's text (NUL-padded), nil when all registers are 0 (not implemented).
    public static func text(_ point: SunSpecPoint, _ words: ArraySlice<UInt16>) -> String? {
        guard point.type == "string", words.count >= point.size else { return nil }
        let text = Codec.decodeString(words.prefix(point.size), byteOrder: .big)
        return text.isEmpty ? nil : text
    }
}

/// One model's registers as read (from its ID register on), with its layout: points by name.
public struct SunSpecBlock: Sendable {
    public let model: SunSpecModel
    /// The block's registers, ID and L included.
    public let words: [UInt16]

    public init(model: SunSpecModel, words: [UInt16]) {
        self.model = model
        self.words = words
    }

    /// L as the device reports it.
    public var reportedLength: Int { words.count > 1 ? Int(words[1]) : 0 }

    func slice(_ point: SunSpecPoint, base: Int = 0) -> ArraySlice<UInt16>? {
        let start = base + point.offset
        guard start >= 0, start + point.size <= words.count else { return nil }
        return words[start..<(start + point.size)]
    }

    /// A fixed-block point's value in SI units (scale factor applied), nil when absent.
    public func number(_ name: String) -> Double? {
        guard let point = model.point(name) else { return nil }
        return number(point, base: 0)
    }

    func number(_ point: SunSpecPoint, base: Int) -> Double? {
        guard let words = slice(point, base: base), let raw = SunSpecDecoding.raw(point, words) else { return nil }
        guard let sf = point.sf else { return raw }
        // the scale factor is a point of the fixed block (also for a repeating group's points)
        let exponent: Int?
        if let fixed = Int(sf) {
            exponent = (-10...10).contains(fixed) ? fixed : nil
        } else if let factor = model.point(sf), let sfWords = slice(factor) {
            exponent = SunSpecDecoding.exponent(factor, sfWords)
        } else {
            exponent = nil
        }
        return exponent.map { SunSpecDecoding.scaled(raw, exponent: $0) }
    }

    public func text(_ name: String) -> String? {
        guard let point = model.point(name), let words = slice(point) else { return nil }
        return SunSpecDecoding.text(point, words)
    }

    /// The repetitions of the repeating group present in the block (model 160's modules).
    public var repetitions: Int {
        guard let group = model.group, group.length > 0 else { return 0 }
        return max(0, (words.count - model.length - 2) / group.length)
    }

    /// A point of the `index`-th repetition (0-based), nil when absent.
    public func groupNumber(_ name: String, repetition index: Int) -> Double? {
        guard let group = model.group, index < repetitions, let point = group.points.first(where: { $0.name == name }) else { return nil }
        return number(point, base: model.length + 2 + index * group.length)
    }
}
