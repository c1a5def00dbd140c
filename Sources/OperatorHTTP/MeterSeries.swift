/// Which of a meter's readings `/metrics` shows, as series: per-phase current and power, and the
/// total power. A reading of another quantity (voltages, energies, power factors) is not shown.
struct MeterSeries: Equatable {
    var metric: String
    var unit: String
    var help: String
    var phase: String?
    var value: Double

    static func of(_ values: [(name: String, value: Double)]) -> [MeterSeries] {
        values.compactMap { name, value in
            let parts = name.split(separator: ".").map(String.init)
            guard parts.count == 2 else { return nil }
            switch (parts[0], parts[1]) {
            case ("current", let phase) where ["l1", "l2", "l3"].contains(phase):
                return MeterSeries(metric: "meter_current", unit: "amperes", help: "Current per phase", phase: phase, value: value)
            case ("power", let phase) where ["l1", "l2", "l3"].contains(phase):
                return MeterSeries(metric: "meter_phase_power", unit: "watts", help: "Active power per phase (negative: exported)",
                                   phase: phase, value: value)
            case ("power", "total"):
                return MeterSeries(metric: "meter_power", unit: "watts", help: "Active power of all phases (negative: exported)",
                                   phase: nil, value: value)
            default:
                return nil
            }
        }
    }
}
