import RegisterMaps

/// What a SunSpec meter entry reads: an inverter, a meter or a battery of the device's model chain.
public enum SunSpecFamily: String, Sendable, CaseIterable {
    case inverter, meter, battery

    /// The models that describe it, in order of preference (three phases before one, integer before float).
    public var models: [Int] {
        switch self {
        case .inverter: [103, 113, 102, 112, 101, 111]
        case .meter: [203, 204, 202, 201]
        case .battery: [802]
        }
    }

    public static func of(model: Int) -> SunSpecFamily? { allCases.first { $0.models.contains(model) } }

    /// Point → the bridge's quantity, per family (the names the register maps use).
    var names: [(point: String, quantity: String)] {
        let phases = [("A", "l1"), ("B", "l2"), ("C", "l3")]
        switch self {
        case .inverter:
            return phases.map { ("Aph\($0.0)", "current.\($0.1)") } + phases.map { ("PhVph\($0.0)", "voltage.\($0.1)") }
                + [("W", "power.total"), ("Hz", "frequency"), ("WH", "energy.export"), ("DCW", "dc.power")]
        case .meter:
            return phases.map { ("Aph\($0.0)", "current.\($0.1)") } + phases.map { ("PhVph\($0.0)", "voltage.\($0.1)") }
                + phases.map { ("Wph\($0.0)", "power.\($0.1)") }
                + [("W", "power.total"), ("Hz", "frequency"), ("TotWhImp", "energy.import"), ("TotWhExp", "energy.export")]
        case .battery:
            return [("W", "power.total"), ("SoC", "soc"), ("V", "dc.voltage"), ("A", "dc.current")]
        }
    }

    /// The quantities an entry of this family shows: the standard names with the plausible ranges
    /// the caller gives (`standard`), the others with ranges of their own.
    public func quantities(standard: [Quantity]) -> [Quantity] {
        var names = self.names.map(\.quantity)
        if self == .inverter { names.append("power.rated") }
        return names.map { name in
            if let known = standard.first(where: { $0.name == name }) { return known }
            let (unit, range): (String, ClosedRange<Double>) = switch name {
            case "soc": ("%", 0...100)
            case "dc.voltage": ("V", 0...1500)
            case "dc.current": ("A", -2000...2000)
            default: ("W", -1e7...1e7)    // dc.power, power.rated
            }
            return Quantity(name: name, address: 0, type: .f64, unit: MeasurementUnit.named(unit) ?? .one, range: range)
        }
    }
}

/// Turns the blocks read from a device into the bridge's quantities.
public enum SunSpecValues {
    /// The values of `family`'s model among `blocks` (the first one present in the family's order),
    /// completed from the nameplate (120) and the MPPT model (160) for inverters. Absent points are left out.
    public static func values(_ family: SunSpecFamily, blocks: [SunSpecBlock]) -> [String: Double] {
        guard let block = family.models.lazy.compactMap({ id in blocks.first { $0.model.id == id } }).first else { return [:] }
        var values: [String: Double] = [:]
        for (point, quantity) in family.names { if let value = block.number(point) { values[quantity] = value } }
        guard family == .inverter else { return values }
        if let nameplate = blocks.first(where: { $0.model.id == 120 }), let rated = nameplate.number("WRtg") { values["power.rated"] = rated }
        // the float models have no DC total in every firmware: the MPPT modules add up to it
        if values["dc.power"] == nil, let mppt = blocks.first(where: { $0.model.id == 160 }), mppt.repetitions > 0 {
            let modules = (0..<mppt.repetitions).map { mppt.groupNumber("DCW", repetition: $0) }
            if modules.allSatisfy({ $0 != nil }) { values["dc.power"] = modules.reduce(0) { $0 + $1! } }
        }
        return values
    }

    /// Readings in the order of `quantities`: a value outside a quantity's range is implausible,
    /// an absent one "not available"; `failure` (a read that failed) marks every one.
    public static func readings(_ values: [String: Double], quantities: [Quantity], failure: MissingReason? = nil) -> [Reading] {
        quantities.map { quantity in
            let unit = quantity.unit.siSymbol
            if let failure { return Reading(name: quantity.name, unit: unit, value: .failure(failure)) }
            guard let value = values[quantity.name] else { return Reading(name: quantity.name, unit: unit, value: .failure(.notAvailable)) }
            if let range = quantity.range, !range.contains(value) { return Reading(name: quantity.name, unit: unit, value: .failure(.outOfRange(value))) }
            return Reading(name: quantity.name, unit: unit, value: .success(.number(value)))
        }
    }

    /// "Fronius Symo 8.2-3-M (SN 12345)" from the common model, nil when it says nothing.
    public static func identity(_ blocks: [SunSpecBlock]) -> String? {
        guard let common = blocks.first(where: { $0.model.id == 1 }) else { return nil }
        let name = [common.text("Mn"), common.text("Md")].compactMap { $0 }.joined(separator: " ")
        let serial = common.text("SN").map { " (SN \($0))" } ?? ""
        return name.isEmpty && serial.isEmpty ? nil : name + serial
    }
}

/// A meter entry read through SunSpec: which part of the device's model chain, with the layouts.
public struct SunSpecSelection: Sendable, Equatable {
    public var family: SunSpecFamily
    /// One model of the family, when the entry names it (nil: the first of the family found).
    public var model: Int?
    public var models: SunSpecModelSet

    public init(family: SunSpecFamily, model: Int? = nil, models: SunSpecModelSet) {
        self.family = family
        self.model = model
        self.models = models
    }

    /// The models whose blocks are read at every poll: the family's (or the one named), and for an inverter its nameplate and MPPT.
    public func wanted(_ chain: SunSpecChain) -> [SunSpecChain.Entry] {
        let main = chain.first(of: model.map { [$0] } ?? family.models)
        let extra = family == .inverter ? chain.models.filter { $0.id == 120 || $0.id == 160 } : []
        return (main.map { [$0] } ?? []) + extra
    }
}
