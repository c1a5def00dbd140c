import EnergyControl

/// What an energy manager (a master) asks of one charger, whatever face it came through: a
/// Modbus table (EVC08, Bender, KEBA, …), SEMP over HTTP, or a scenario. The faces translate their
/// registers or messages into these; the core decides the same way for every face.
public enum MasterCommand: Sendable, Equatable {
    /// The charging current, amperes (0 = pause).
    case current(Double)
    /// The charging power, watts (0 = pause): amperes at the charger's phases in use and nominal voltage.
    case power(Double)
    /// Charging allowed (true) or paused (false); the requested current is kept.
    case enable(Bool)
    /// Phases to charge on: 1 or 3.
    case phases(Int)
    /// The current the charger falls back to when the master goes silent, amperes (0 = stop).
    case failsafeCurrent(Double)
    /// How long the master may stay silent before the failsafe current applies, seconds.
    case failsafeTimeout(Double)
    /// The master is alive (its heartbeat).
    case alive

    /// Nominal voltage for a power request: the conversion never asks for more than the watts allow.
    public static let nominalVoltage = 230.0

    /// A short description for messages ("current 12 A").
    public var description: String {
        switch self {
        case .current(let value): "current \(Self.number(value)) A"
        case .power(let value): "power \(Self.number(value)) W"
        case .enable(let on): on ? "enable" : "disable"
        case .phases(let count): "\(count) phase(s)"
        case .failsafeCurrent(let value): "failsafe current \(Self.number(value)) A"
        case .failsafeTimeout(let value): "failsafe timeout \(Self.number(value)) s"
        case .alive: "alive"
        }
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
