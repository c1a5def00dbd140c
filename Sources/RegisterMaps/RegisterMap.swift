/// Modbus function family a quantity is read with.
public enum RegisterFunction: String, Sendable, CaseIterable, Comparable {
    case coil, discrete, holding, input

    /// Modbus function code used to read it.
    public var readCode: UInt8 {
        switch self {
        case .coil: 1
        case .discrete: 2
        case .holding: 3
        case .input: 4
        }
    }

    /// Bits (coils, discrete inputs) rather than 16-bit registers.
    public var isBit: Bool { self == .coil || self == .discrete }

    /// Protocol limit of one read request.
    public var maxPerRequest: Int { isBit ? 2000 : 125 }

    public static func < (a: Self, b: Self) -> Bool { a.readCode < b.readCode }
}

/// Order of 16-bit words (32/64-bit values) or of bytes inside one register.
public enum Endianness: String, Sendable {
    case big, little
}

public enum Parity: String, Sendable {
    case none = "N", even = "E", odd = "O"
}

/// Serial line settings for Modbus RTU.
public struct SerialSettings: Sendable, Equatable {
    public var baud: Int
    public var parity: Parity
    public var dataBits: Int
    public var stopBits: Int

    public init(baud: Int = 19200, parity: Parity = .none, dataBits: Int = 8, stopBits: Int = 1) {
        self.baud = baud
        self.parity = parity
        self.dataBits = dataBits
        self.stopBits = stopBits
    }

    /// Bits on the wire per character: start + data + parity + stop.
    public var bitsPerCharacter: Int { 1 + dataBits + (parity == .none ? 0 : 1) + stopBits }
}

/// Default transport settings of a device model.
public struct TransportDefaults: Sendable, Equatable {
    public var unit: Int = 1
    public var tcpPort: Int = 502
    public var serial = SerialSettings()
    public var timeoutMilliseconds: Int = 1000
    public init() {}
}

/// How a poll is split into requests.
public struct PlannerSettings: Sendable, Equatable {
    public var maxGap: Int = 16
    public var maxRegisters: Int = 125
    public init(maxGap: Int = 16, maxRegisters: Int = 125) {
        self.maxGap = maxGap
        self.maxRegisters = maxRegisters
    }
}

/// One named value of a device.
public struct Quantity: Sendable, Equatable {
    public var name: String
    /// Zero-based PDU address (already converted from the file's addressing base).
    public var address: Int
    public var function: RegisterFunction
    public var type: ValueType
    public var wordOrder: Endianness
    public var byteOrder: Endianness
    /// Registers of a `string` (two characters each); ignored for other types.
    public var stringLength: Int
    /// SI value = (raw × scale + offset) × unit factor.
    public var scale: Double
    public var offset: Double
    public var unit: MeasurementUnit
    public var sentinels: [Sentinel]
    public var range: ClosedRange<Double>?
    public var writable: Bool
    public var description: String?
    /// The unit id this register lives at when it differs from the device's (a charger's station
    /// block vs. its socket); nil: the device's unit.
    public var unitID: Int?

    public init(name: String, address: Int, function: RegisterFunction = .holding, type: ValueType,
                wordOrder: Endianness = .big, byteOrder: Endianness = .big, stringLength: Int = 0,
                scale: Double = 1, offset: Double = 0, unit: MeasurementUnit = .one, sentinels: [Sentinel] = [],
                range: ClosedRange<Double>? = nil, writable: Bool = false, description: String? = nil) {
        self.name = name
        self.address = address
        self.function = function
        self.type = type
        self.wordOrder = wordOrder
        self.byteOrder = byteOrder
        self.stringLength = stringLength
        self.scale = scale
        self.offset = offset
        self.unit = unit
        self.sentinels = sentinels
        self.range = range
        self.writable = writable
        self.description = description
    }

    /// Registers (or bits) the quantity occupies.
    public var count: Int { type == .string ? stringLength : type.registerCount }

    /// Last address occupied.
    public var endAddress: Int { address + count - 1 }
}

/// A raw value that means "not available".
public enum Sentinel: Sendable, Equatable {
    case nan
    case raw(Int)
}

/// A device model's register map.
public struct RegisterMap: Sendable, Equatable {
    public var name: String
    public var vendor: String
    public var models: [String]
    public var kind: String
    public var sources: [String]
    public var notes: String?
    public var transport: TransportDefaults
    public var addressBase: Int
    public var planner: PlannerSettings
    public var quantities: [Quantity]
    /// How a charger is driven (the `charger:` section of a charger map).
    public var charger: ChargerSpec?
    /// How the bridge serves a charger through this table (the `face:` section of a face file).
    public var face: FaceSpec?
    /// File the map was loaded from, if any.
    public var file: String?

    public init(name: String, vendor: String = "", models: [String] = [], kind: String = "meter",
                sources: [String] = [], notes: String? = nil, transport: TransportDefaults = .init(),
                addressBase: Int = 0, planner: PlannerSettings = .init(), quantities: [Quantity], charger: ChargerSpec? = nil, file: String? = nil) {
        self.name = name
        self.vendor = vendor
        self.models = models
        self.kind = kind
        self.sources = sources
        self.notes = notes
        self.transport = transport
        self.addressBase = addressBase
        self.planner = planner
        self.quantities = quantities
        self.charger = charger
        self.file = file
    }

    public func quantity(named name: String) -> Quantity? {
        quantities.first { $0.name == name }
    }
}
