import Foundation

/// One sampled value of a meter reading: measurand, phase, unit and multiplier applied (OCPP 1.6
/// §7.45 UnitOfMeasure; OCPP 2.0.1 SampledValueType and UnitOfMeasureType: Wh, kWh, W, kW, A, V,
/// Percent … and 2.0.1's power-of-ten multiplier). A value that is not a finite number, is signed
/// data, or is absurd is left out (noted), never stored. The measurands are the same in both versions.
enum MeterSample {
    /// OCPP 1.6 SampledValue: the value is a string, the unit a plain field.
    static func apply16(_ sample: PayloadReader, to reading: inout MeterReading, notes: inout [String]) throws(OCPPFailure) {
        let text = try sample.string("value", max: 100)
        if try sample.optionalString("format") == "SignedData" { return }
        let measurand = try sample.optionalString("measurand", max: 50) ?? "Energy.Active.Import.Register"
        let phase = try sample.optionalString("phase", max: 10)
        let unit = try sample.optionalString("unit", max: 20)
        _ = try sample.optionalString("context", max: 50)
        _ = try sample.optionalString("location", max: 20)
        guard let raw = Double(text), raw.isFinite else {
            notes.append("MeterValues: \(measurand) \"\(text)\" is not a number; left out")
            return
        }
        record(measurand, phase: phase, value: raw, shown: "\(text) \(unit ?? "")", unit: unit, into: &reading, notes: &notes)
    }

    /// OCPP 2.0.1 SampledValueType: the value is a number, the unit and a power-of-ten multiplier
    /// in unitOfMeasure.
    static func apply201(_ sample: PayloadReader, to reading: inout MeterReading, notes: inout [String]) throws(OCPPFailure) {
        let raw = try sample.number("value")
        let measurand = try sample.optionalString("measurand", max: 50) ?? "Energy.Active.Import.Register"
        let phase = try sample.optionalString("phase", max: 10)
        _ = try sample.optionalString("context", max: 50)
        _ = try sample.optionalString("location", max: 20)
        var unit: String?, multiplier = 0
        if let measure = try sample.optionalObject("unitOfMeasure") {
            unit = try measure.optionalString("unit", max: 20)
            multiplier = try measure.optionalInteger("multiplier") ?? 0
            guard (-9...9).contains(multiplier) else { throw OCPPFailure(.propertyConstraintViolation, "unitOfMeasure.multiplier \(multiplier) is out of range") }
        }
        // signed data rides along; the plain value is read as any other
        _ = try sample.optionalObject("signedMeterValue")
        let value = raw * pow(10, Double(multiplier))
        let shown = "\(raw)\(multiplier == 0 ? "" : "e\(multiplier)") \(unit ?? "Wh")"
        record(measurand, phase: phase, value: value, shown: shown, unit: unit ?? "Wh", into: &reading, notes: &notes)
    }

    /// Stores one value in SI units when it is plausible.
    private static func record(_ measurand: String, phase: String?, value raw: Double, shown: String, unit: String?,
                               into reading: inout MeterReading, notes: inout [String]) {
        let multiplier: Double = switch unit {
        case "kWh", "kW", "kvarh", "kvar", "kVA": 1000
        default: 1
        }
        let value = raw * multiplier
        func plausible(_ range: ClosedRange<Double>) -> Bool {
            if value.isFinite, range.contains(value) { return true }
            notes.append("MeterValues: \(measurand) \(shown) is implausible; left out")
            return false
        }
        let index: Int? = switch phase {
        case "L1", "L1-N", "L1-L2": 0
        case "L2", "L2-N", "L2-L3": 1
        case "L3", "L3-N", "L3-L1": 2
        default: nil
        }
        switch measurand {
        case "Current.Import":
            guard plausible(0...1000) else { return }
            reading.currents[index ?? 0] = value
        case "Voltage":
            guard plausible(0...1000) else { return }
            if let index { reading.voltages[index] = value } else { reading.voltages = [value, value, value] }
        case "Power.Active.Import":
            guard plausible(0...1_000_000) else { return }
            if index == nil { reading.powerW = value }
        case "Energy.Active.Import.Register":
            guard plausible(0...1e12), index == nil else { return }
            reading.energyWh = value
        case "SoC":
            guard plausible(0...100) else { return }
            reading.soc = value
        default:
            return
        }
    }
}
