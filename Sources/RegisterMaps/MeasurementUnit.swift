/// Physical dimension of a unit; standard quantity names require a specific one.
public enum UnitDimension: String, Sendable {
    case current, voltage, power, reactivePower, apparentPower, energy, reactiveEnergy, frequency
    case ratio, temperature, time, dimensionless
}

/// A unit as written in a map, with its conversion to the SI unit the bridge uses internally.
public struct MeasurementUnit: Sendable, Equatable {
    public let symbol: String
    public let siSymbol: String
    public let factor: Double
    public let dimension: UnitDimension

    public static let one = MeasurementUnit(symbol: "1", siSymbol: "", factor: 1, dimension: .dimensionless)

    static let table: [MeasurementUnit] = [
        MeasurementUnit(symbol: "A", siSymbol: "A", factor: 1, dimension: .current),
        MeasurementUnit(symbol: "mA", siSymbol: "A", factor: 0.001, dimension: .current),
        MeasurementUnit(symbol: "kA", siSymbol: "A", factor: 1000, dimension: .current),
        MeasurementUnit(symbol: "V", siSymbol: "V", factor: 1, dimension: .voltage),
        MeasurementUnit(symbol: "kV", siSymbol: "V", factor: 1000, dimension: .voltage),
        MeasurementUnit(symbol: "W", siSymbol: "W", factor: 1, dimension: .power),
        MeasurementUnit(symbol: "kW", siSymbol: "W", factor: 1000, dimension: .power),
        MeasurementUnit(symbol: "MW", siSymbol: "W", factor: 1_000_000, dimension: .power),
        MeasurementUnit(symbol: "var", siSymbol: "var", factor: 1, dimension: .reactivePower),
        MeasurementUnit(symbol: "kvar", siSymbol: "var", factor: 1000, dimension: .reactivePower),
        MeasurementUnit(symbol: "VA", siSymbol: "VA", factor: 1, dimension: .apparentPower),
        MeasurementUnit(symbol: "kVA", siSymbol: "VA", factor: 1000, dimension: .apparentPower),
        MeasurementUnit(symbol: "Wh", siSymbol: "Wh", factor: 1, dimension: .energy),
        MeasurementUnit(symbol: "kWh", siSymbol: "Wh", factor: 1000, dimension: .energy),
        MeasurementUnit(symbol: "MWh", siSymbol: "Wh", factor: 1_000_000, dimension: .energy),
        MeasurementUnit(symbol: "varh", siSymbol: "varh", factor: 1, dimension: .reactiveEnergy),
        MeasurementUnit(symbol: "kvarh", siSymbol: "varh", factor: 1000, dimension: .reactiveEnergy),
        MeasurementUnit(symbol: "Hz", siSymbol: "Hz", factor: 1, dimension: .frequency),
        MeasurementUnit(symbol: "%", siSymbol: "%", factor: 1, dimension: .ratio),
        MeasurementUnit(symbol: "°C", siSymbol: "°C", factor: 1, dimension: .temperature),
        MeasurementUnit(symbol: "s", siSymbol: "s", factor: 1, dimension: .time),
        MeasurementUnit(symbol: "1", siSymbol: "", factor: 1, dimension: .dimensionless),
    ]

    public static func named(_ symbol: String) -> MeasurementUnit? {
        table.first { $0.symbol == symbol }
    }

    public static var knownSymbols: [String] { table.map(\.symbol) }
}

/// The names the control code relies on, with the dimension each must have.
public enum StandardQuantity {
    public static let dimensions: [String: UnitDimension] = {
        var table: [String: UnitDimension] = ["power.total": .power, "energy.import": .energy,
                                          "energy.export": .energy, "frequency": .frequency]
        for phase in ["l1", "l2", "l3"] {
            table["current.\(phase)"] = .current
            table["voltage.\(phase)"] = .voltage
            table["power.\(phase)"] = .power
        }
        return table
    }()

    /// Display order for standard names; others follow in map order.
    public static let order: [String] = [
        "current.l1", "current.l2", "current.l3", "voltage.l1", "voltage.l2", "voltage.l3",
        "power.l1", "power.l2", "power.l3", "power.total", "energy.import", "energy.export", "frequency",
    ]
}
