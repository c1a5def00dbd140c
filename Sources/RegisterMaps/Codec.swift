import Foundation

/// A decoded value of one quantity.
public enum Value: Sendable, Equatable {
    case number(Double)
    case text(String)
}

/// Why a quantity has no value: never reported as a number.
public enum MissingReason: Error, Sendable, Equatable, CustomStringConvertible {
    case notAvailable        // NaN, infinity or a sentinel
    case outOfRange(Double)  // decoded but implausible
    case readFailed(String)  // the request failed (timeout, exception, …)

    public var description: String {
        switch self {
        case .notAvailable: "not available"
        case .outOfRange(let value): "implausible value \(value)"
        case .readFailed(let reason): reason
        }
    }
}

/// Converts between Modbus registers and SI values. Pure functions.
public enum Codec {
    /// Combines registers into one bit pattern, most significant word first.
    public static func bitPattern(_ registers: ArraySlice<UInt16>, wordOrder: Endianness, byteOrder: Endianness) -> UInt64 {
        var words = registers.map { byteOrder == .big ? $0 : $0.byteSwapped }
        if wordOrder == .little { words.reverse() }
        return words.reduce(0) { ($0 << 16) | UInt64($1) }
    }

    /// Splits a bit pattern into `count` registers in the given orders (inverse of `bitPattern`).
    public static func registers(of pattern: UInt64, count: Int, wordOrder: Endianness, byteOrder: Endianness) -> [UInt16] {
        var words = (0..<count).map { UInt16(truncatingIfNeeded: pattern >> (16 * UInt64(count - 1 - $0))) }
        if wordOrder == .little { words.reverse() }
        return byteOrder == .big ? words : words.map(\.byteSwapped)
    }

    /// The raw number the registers hold, before scale, or nil for a sentinel / NaN / infinity.
    public static func rawValue(_ registers: ArraySlice<UInt16>, as quantity: Quantity) -> Double? {
        let pattern = bitPattern(registers, wordOrder: quantity.wordOrder, byteOrder: quantity.byteOrder)
        let raw: Double
        let signed: Int64
        switch quantity.type {
        case .u16, .u32, .u64, .bool:
            raw = Double(pattern)
            signed = Int64(bitPattern: pattern)
        case .i16:
            signed = Int64(Int16(truncatingIfNeeded: pattern))
            raw = Double(signed)
        case .i32:
            signed = Int64(Int32(truncatingIfNeeded: pattern))
            raw = Double(signed)
        case .i64:
            signed = Int64(bitPattern: pattern)
            raw = Double(signed)
        case .f32:
            raw = Double(Float(bitPattern: UInt32(truncatingIfNeeded: pattern)))
            signed = Int64(bitPattern: pattern)
        case .f64:
            raw = Double(bitPattern: pattern)
            signed = Int64(bitPattern: pattern)
        case .string:
            return nil
        }
        if !raw.isFinite { return nil }
        for sentinel in quantity.sentinels {
            if case .raw(let value) = sentinel {
                let asPattern = UInt64(bitPattern: Int64(value)) & mask(registers.count)
                if asPattern == pattern || Int64(value) == signed { return nil }
                if quantity.type == .f32 || quantity.type == .f64, Double(value) == raw { return nil }
            }
        }
        return raw
    }

    /// Decodes one quantity from its registers (exactly `quantity.count` of them).
    public static func decode(_ registers: ArraySlice<UInt16>, as quantity: Quantity) -> Result<Value, MissingReason> {
        precondition(registers.count == quantity.count, "decode needs exactly the quantity's registers")
        if quantity.type == .string { return .success(.text(decodeString(registers, byteOrder: quantity.byteOrder))) }
        guard let raw = rawValue(registers, as: quantity) else { return .failure(.notAvailable) }
        let si = (scaled(raw, by: quantity.scale) + quantity.offset) * quantity.unit.factor
        guard si.isFinite else { return .failure(.notAvailable) }
        if let range = quantity.range, !range.contains(si) { return .failure(.outOfRange(si)) }
        return .success(.number(si))
    }

    /// raw × scale, computed as raw ÷ (1/scale) when that is a whole number, so 2301 × 0.1 gives
    /// exactly 230.1 rather than 230.10000000000002.
    static func scaled(_ raw: Double, by scale: Double) -> Double {
        let divisor = (1 / scale).rounded()
        if abs(scale) < 1, divisor != 0, abs(1 / scale - divisor) < 1e-9 * abs(divisor) { return raw / divisor }
        return raw * scale
    }

    public static func decodeString(_ registers: ArraySlice<UInt16>, byteOrder: Endianness) -> String {
        var bytes: [UInt8] = []
        for register in registers {
            let word = byteOrder == .big ? register : register.byteSwapped
            bytes.append(UInt8(word >> 8))
            bytes.append(UInt8(word & 0xFF))
        }
        if let end = bytes.firstIndex(of: 0) { bytes.removeSubrange(end...) }
        let text = String(decoding: bytes.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespaces)
    }

    public enum EncodeError: Error, CustomStringConvertible, Equatable {
        case notRepresentable(String, Double)
        case wrongKind(String)
        public var description: String {
            switch self {
            case .notRepresentable(let name, let value): "\(name): \(value) does not fit its register type"
            case .wrongKind(let name): "\(name): value of the wrong kind (text for a number or the reverse)"
            }
        }
    }

    /// Encodes an SI value into registers (inverse of `decode`), used by simulated devices and writes.
    public static func encode(_ value: Value, as quantity: Quantity) throws(EncodeError) -> [UInt16] {
        switch (value, quantity.type) {
        case (.text(let text), .string):
            return encodeString(text, registers: quantity.stringLength, byteOrder: quantity.byteOrder)
        case (.number(let si), let type) where type != .string:
            let raw = (si / quantity.unit.factor - quantity.offset) / quantity.scale
            let count = quantity.count
            let pattern: UInt64
            switch type {
            case .f32: pattern = UInt64(Float(raw).bitPattern)
            case .f64: pattern = raw.bitPattern
            default:
                let rounded = raw.rounded()
                guard let bounds = integerBounds(type), rounded >= bounds.lowerBound, rounded <= bounds.upperBound else {
                    throw .notRepresentable(quantity.name, si)
                }
                pattern = rounded < 0 ? UInt64(bitPattern: Int64(rounded)) & mask(count) : UInt64(rounded)
            }
            return registers(of: pattern, count: count, wordOrder: quantity.wordOrder, byteOrder: quantity.byteOrder)
        default:
            throw .wrongKind(quantity.name)
        }
    }

    public static func encodeString(_ text: String, registers count: Int, byteOrder: Endianness) -> [UInt16] {
        var bytes = Array(text.utf8.prefix(count * 2))
        bytes += [UInt8](repeating: 0, count: count * 2 - bytes.count)
        return (0..<count).map { index in
            let word = UInt16(bytes[2 * index]) << 8 | UInt16(bytes[2 * index + 1])
            return byteOrder == .big ? word : word.byteSwapped
        }
    }

    static func integerBounds(_ type: ValueType) -> ClosedRange<Double>? {
        switch type {
        case .bool: 0...1
        case .u16: 0...65535
        case .i16: -32768...32767
        case .u32: 0...4_294_967_295
        case .i32: -2_147_483_648...2_147_483_647
        case .u64: 0...18_446_744_073_709_549_568   // largest Double below 2^64
        case .i64: -9_223_372_036_854_775_808...9_223_372_036_854_774_784
        default: nil
        }
    }

    static func mask(_ registers: Int) -> UInt64 {
        registers >= 4 ? .max : (UInt64(1) << (16 * UInt64(registers))) - 1
    }
}
