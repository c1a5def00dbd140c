import RegisterMaps

/// A smart meter's consumer port (`p1:` or `tic:` in a meter's entry): which telegrams, on which
/// serial line. The port only sends; the bridge listens.
public enum SmartMeterPort: Sendable, Equatable {
    /// P1 / DSMR: 2.2 (9600 7E1), 4.x, 5.0 and e-MUCS (115200 8N1). `legacy`: the meter is
    /// configured as DSMR 2.2 or 3, the only versions whose telegrams may come without a CRC.
    case p1(legacy: Bool)
    /// Linky TIC: historique (1200 7E1) or standard (9600 7E1).
    case tic(standard: Bool)

    /// The quantities its telegrams give, as a map without registers: names and units for the
    /// MQTT entity, the status page and plausibility checks.
    public var map: RegisterMap {
        var quantities = Self.standard.filter { !$0.name.hasPrefix("energy.export.") && $0.name != "frequency" }
        switch self {
        case .p1:
            quantities += Self.standard.filter { $0.name.hasPrefix("energy.export.") }
            return RegisterMap(name: "p1-dsmr", vendor: "DSMR P1", kind: "meter", sources: ["DSMR P1 Companion Standard 5.0.2"], quantities: quantities)
        case .tic(let standard):
            return RegisterMap(name: standard ? "tic-standard" : "tic-historique", vendor: "Linky TIC", kind: "meter",
                               sources: ["Enedis-NOI-CPT_54E"], quantities: quantities)
        }
    }

    /// The quantities a home meter can give, with their SI units and plausible ranges (a value
    /// outside is missing, never used): the vocabulary of P1, TIC and MQTT meters.
    public static let standard: [Quantity] = {
        func quantity(_ name: String, _ unit: String, _ range: ClosedRange<Double>? = nil) -> Quantity {
            Quantity(name: name, address: 0, type: .f64, unit: MeasurementUnit.named(unit) ?? .one, range: range)
        }
        var quantities = (1...3).flatMap { phase in
            [quantity("current.l\(phase)", "A", -200...200), quantity("voltage.l\(phase)", "V", 0...500),
             quantity("power.l\(phase)", "W", -50_000...50_000)]
        }
        quantities += [quantity("power.total", "W", -150_000...150_000), quantity("frequency", "Hz", 45...65),
                       quantity("energy.import", "Wh", 0...1e12), quantity("energy.export", "Wh", 0...1e12),
                       quantity("energy.import.t1", "Wh", 0...1e12), quantity("energy.import.t2", "Wh", 0...1e12),
                       quantity("energy.export.t1", "Wh", 0...1e12), quantity("energy.export.t2", "Wh", 0...1e12), quantity("tariff", "1", 0...99)]
        return quantities
    }()

    /// `dsmr:` of a P1 meter (nil: not given, DSMR 4 or later).
    public static func p1(dsmr: String?) -> SmartMeterPort { .p1(legacy: dsmr == "2.2" || dsmr == "3") }

    public static func label(_ port: SmartMeterPort) -> String {
        switch port {
        case .p1: "P1"
        case .tic(let standard): standard ? "TIC standard" : "TIC historique"
        }
    }

    /// The port's line settings unless configured: what the standard prescribes.
    public static func defaultSerial(_ port: SmartMeterPort, dsmr: String?) -> SerialSettings {
        switch port {
        case .p1: dsmr == "2.2" || dsmr == "3" ? SerialSettings(baud: 9600, parity: .even, dataBits: 7, stopBits: 1)
            : SerialSettings(baud: 115_200, parity: .none, dataBits: 8, stopBits: 1)
        case .tic(let standard): SerialSettings(baud: standard ? 9600 : 1200, parity: .even, dataBits: 7, stopBits: 1)
        }
    }
}
