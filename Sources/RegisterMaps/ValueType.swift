/// Register value types of a map.
public enum ValueType: String, Sendable, CaseIterable {
    case u16, i16, u32, i32, u64, i64, f32, f64, string, bool

    /// Long spellings accepted in map files.
    static let aliases: [String: ValueType] = [
        "uint16": .u16, "int16": .i16, "uint32": .u32, "int32": .i32, "uint64": .u64, "int64": .i64,
        "float32": .f32, "float": .f32, "float64": .f64, "double": .f64, "ascii": .string, "bit": .bool,
    ]

    public init?(name: String) {
        let lower = name.lowercased()
        if let type = ValueType(rawValue: lower) ?? ValueType.aliases[lower] { self = type } else { return nil }
    }

    /// Registers (16-bit words) a value occupies; one bit for `bool`; strings carry their own length.
    public var registerCount: Int {
        switch self {
        case .u16, .i16, .bool: 1
        case .u32, .i32, .f32: 2
        case .u64, .i64, .f64: 4
        case .string: 0
        }
    }

    public var isNumeric: Bool { self != .string }
}
