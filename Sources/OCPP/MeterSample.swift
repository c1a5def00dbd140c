/// One sampledValue of MeterValues: measurand, phase, unit and multiplier applied (OCPP 1.6 §7.45
/// UnitOfMeasure: Wh, kWh, W, kW, A, V, Percent …). A value that is not a finite number, is signed
/// data, or is absurd is left out (noted), never stored.
enum MeterSample {
    static func apply(_ sample: PayloadReader, to reading: inout MeterReading, notes: inout [String]) throws(OCPPFailure) {
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
        let multiplier: Double = switch unit {
        case "kWh", "kW", "kvarh", "kvar", "kVA": 1000
        default: 1
        }
        let value = raw * multiplier
        func plausible(_ range: ClosedRange<Double>) -> Bool {
            if range.contains(value) { return true }
            notes.append("MeterValues: \(measurand) \(text) \(unit ?? "") is implausible; left out")
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
