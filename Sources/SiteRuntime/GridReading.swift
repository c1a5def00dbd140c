import EnergyControl
import RegisterMaps

/// Turns a meter's readings into a grid sample for the loops, or nil when a needed value is
/// missing (the meter then ages towards "lost": missing is never read as 0 A).
package enum GridReading {
    package static func sample(_ readings: [Reading], time: Seconds) -> GridSample? {
        var values: [String: Double] = [:]
        for reading in readings { if let number = reading.number { values[reading.name] = number } }
        var currents: [Double] = []
        for phase in 1...3 {
            guard let current = values["current.l\(phase)"] else { return nil }
            // Meters report current magnitudes; the phase power's sign tells import from export.
            let sign = (values["power.l\(phase)"] ?? 1) < 0 ? -1.0 : 1.0
            currents.append(abs(current) * sign)
        }
        let phasePowers = (1...3).compactMap { values["power.l\($0)"] }
        guard let power = values["power.total"] ?? (phasePowers.count == 3 ? phasePowers.reduce(0, +) : nil) else { return nil }
        // voltages only convert kW limits: one missing or not finite is 0 (its phase counts at nominal;
        // never NaN, so a sample stays equal to itself), none at all nil
        let voltages = (1...3).map { values["voltage.l\($0)"].flatMap { $0.isFinite ? $0 : nil } }
        let sample = GridSample(time: time, currents: currents, power: power,
                                voltages: voltages.allSatisfy { $0 == nil } ? nil : voltages.map { $0 ?? 0 })
        return sample.isPlausible ? sample : nil
    }

    /// A PV or battery meter's power (W): `power.total`, else the sum of the three phases; nil when missing.
    package static func power(_ readings: [Reading], time: Seconds) -> PowerSample? {
        var values: [String: Double] = [:]
        for reading in readings { if let number = reading.number { values[reading.name] = number } }
        let phases = (1...3).compactMap { values["power.l\($0)"] }
        guard let watts = values["power.total"] ?? (phases.count == 3 ? phases.reduce(0, +) : nil) else { return nil }
        let sample = PowerSample(time: time, watts: watts)
        return sample.isPlausible ? sample : nil
    }

    /// The readings with every power negated (`sign: inverted`).
    package static func inverted(_ readings: [Reading]) -> [Reading] {
        readings.map { reading in
            guard reading.name.hasPrefix("power."), let number = reading.number else { return reading }
            return Reading(name: reading.name, unit: reading.unit, value: .success(.number(-number)))
        }
    }

    /// An input's boolean from its single reading (non-zero = active), nil when unreadable.
    package static func flag(_ readings: [Reading]) -> Bool? {
        readings.first?.number.map { $0 != 0 }
    }
}
