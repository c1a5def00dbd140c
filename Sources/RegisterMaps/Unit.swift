/// Physical dimension of a unit; standard quantity names require a specific one.
public enum Dimension: String, Sendable {
    case current, voltage, power, reactivePower, apparentPower, energy, reactiveEnergy, frequency
    case ratio, temperature, time, dimensionless
}

/// A unit as written in a map, with its conversion to the SI unit the bridge uses internally.
public struct Unit: Sendable, Equatable {
    public let symbol: String
    public let siSymbol: String
    public let factor: Double
    public let dimension: Dimension

    public static let one = Unit(symbol: "1", siSymbol: "", factor: 1, dimension: .dimensionless)

    static let table: [Unit] = [
        Unit(symbol: "A", siSymbol: "A", factor: 1, dimension: .current),
        Unit(symbol: "mA", siSymbol: "A", factor: 0.001, dimension: .current),
        Unit(symbol: "kA", siSymbol: "A", factor: 1000, dimension: .current),
        Unit(symbol: "V", siSymbol: "V", factor: 1, dimension: .voltage),
        Unit(symbol: "kV", siSymbol: "V", factor: 1000, dimension: .voltage),
        Unit(symbol: "W", siSymbol: "W", factor: 1, dimension: .power),
        Unit(symbol: "kW", siSymbol: "W", factor: 1000, dimension: .power),
        Unit(symbol: "MW", siSymbol: "W", factor: 1_000_000, dimension: .power),
        Unit(symbol: "var", siSymbol: "var", factor: 1, dimension: .reactivePower),
        Unit(symbol: "kvar", siSymbol: "var", factor: 1000, dimension: .reactivePower),
        Unit(symbol: "VA", siSymbol: "VA", factor: 1, dimension: .apparentPower),
        Unit(symbol: "kVA", siSymbol: "VA", factor: 1000, dimension: .apparentPower),
        Unit(symbol: "Wh", siSymbol: "Wh", factor: 1, dimension: .energy),
        Unit(symbol: "kWh", siSymbol: "Wh", factor: 1000, dimension: .energy),
        Unit(symbol: "MWh", siSymbol: "Wh", factor: 1_000_000, dimension: .energy),
        Unit(symbol: "varh", siSymbol: "varh", factor: 1, dimension: .reactiveEnergy),
        Unit(symbol: "kvarh", siSymbol: "varh", factor: 1000, dimension: .reactiveEnergy),
        Unit(symbol: "Hz", siSymbol: "Hz", factor: 1, dimension: .frequency),
        Unit(symbol: "%", siSymbol: "%", factor: 1, dimension: .ratio),
        Unit(symbol: "°C", siSymbol: "°C", factor: 1, dimension: .temperature),
        Unit(symbol: "s", siSymbol: "s", factor: 1, dimension: .time),
        Unit(symbol: "1", siSymbol: "", factor: 1, dimension: .dimensionless),
    ]

    public static func named(_ symbol: String) -> Unit? {
        table.first { $0.symbol == symbol }
    }

    public static var knownSymbols: [String] { table.map(\.symbol) }
}

/// The names the control code relies on, with the dimension each must have.
public enum StandardQuantity {
    public static let dimensions: [String: Dimension] = {
        var table: [String: Dimension] = ["power.total": .power, "energy.import": .energy,
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
