import RegisterMaps

/// A smart meter's consumer port (`p1:` or `tic:` in a meter's entry): which telegrams, on which
/// serial line. The port only sends; the bridge listens.
public enum SmartMeterPort: Sendable, Equatable {
    /// P1 / DSMR: 2.2 (9600 7E1), 4.x, 5.0 and e-MUCS (115200 8N1).
    case p1
    /// Linky TIC: historique (1200 7E1) or standard (9600 7E1).
    case tic(standard: Bool)

    /// The quantities its telegrams give, as a map without registers: names and units for the
    /// MQTT entity, the status page and plausibility checks.
    public var map: RegisterMap {
        func quantity(_ name: String, _ unit: String, _ range: ClosedRange<Double>? = nil) -> Quantity {
            Quantity(name: name, address: 0, type: .f64, unit: MeasurementUnit.named(unit) ?? .one, range: range)
        }
        var quantities = (1...3).flatMap { phase in
            [quantity("current.l\(phase)", "A", -200...200), quantity("voltage.l\(phase)", "V", 0...500),
             quantity("power.l\(phase)", "W", -50_000...50_000)]
        }
        quantities += [quantity("power.total", "W", -150_000...150_000), quantity("energy.import", "Wh"), quantity("energy.export", "Wh"),
                       quantity("energy.import.t1", "Wh"), quantity("energy.import.t2", "Wh"), quantity("tariff", "1")]
        switch self {
        case .p1:
            quantities += [quantity("energy.export.t1", "Wh"), quantity("energy.export.t2", "Wh")]
            return RegisterMap(name: "p1-dsmr", vendor: "DSMR P1", kind: "meter", sources: ["DSMR P1 Companion Standard 5.0.2"], quantities: quantities)
        case .tic(let standard):
            return RegisterMap(name: standard ? "tic-standard" : "tic-historique", vendor: "Linky TIC", kind: "meter",
                               sources: ["Enedis-NOI-CPT_54E"], quantities: quantities)
        }
    }

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
