import DataFiles
import Foundation
import NameSuggestion
import RegisterMaps
import SmartMeters
import SunSpec

/// What a meter measures for the loops: `role: grid | pv | battery` (optional; a zone's meter is named
/// by its zone). PV production is positive; a battery's power is positive while it discharges.
public enum MeterRole: String, Sendable, CaseIterable {
    case grid, pv, battery
}

extension Configuration {
    /// `role:` and `sign:` of a meter entry, any kind.
    static func parseRole(_ fields: inout YAMLFields) throws(DataFileError) -> (role: MeterRole?, inverted: Bool) {
        var role: MeterRole?
        if let node = fields.optional("role") {
            let text = try node.string()
            guard let known = MeterRole(rawValue: text) else {
                let names = MeterRole.allCases.map(\.rawValue)
                throw node.error("unknown role \"\(text)\" (\(names.joined(separator: ", ")))" + Suggestion.didYouMean(text, among: names))
            }
            role = known
        }
        var inverted = false
        if let node = fields.optional("sign") {
            switch try node.string() {
            case "inverted": inverted = true
            case "normal": inverted = false
            default: throw node.error("normal or inverted")
            }
            guard role == .pv || role == .battery else {
                throw node.error("sign: applies to role: pv (production positive) and role: battery (discharge positive)")
            }
        }
        return (role, inverted)
    }

    /// `map: sunspec`: the model chain is found on the device; `model: inverter | meter | battery | NUMBER`
    /// picks what the entry reads (by default what its role measures: pv → inverter, battery → battery, else meter).
    static func parseSunSpecMeter(id: String, role: MeterRole?, _ fields: inout YAMLFields, owner: YAMLNode) throws(DataFileError) -> Meter {
        var family: SunSpecFamily = switch role {
        case .pv: .inverter
        case .battery: .battery
        case .grid, nil: .meter
        }
        var model: Int?
        if let node = fields.optional("model") {
            let text = try node.string()
            if let number = Int(text) {
                guard let known = SunSpecFamily.of(model: number) else {
                    let all = SunSpecFamily.allCases.flatMap(\.models).sorted().map(String.init)
                    throw node.error("model \(number) is not an inverter, meter or battery model (\(all.joined(separator: ", ")))")
                }
                family = known
                model = number
            } else {
                let names = SunSpecFamily.allCases.map(\.rawValue)
                guard let named = SunSpecFamily(rawValue: text) else {
                    throw node.error("model: inverter, meter, battery or a model number" + Suggestion.didYouMean(text, among: names))
                }
                family = named
            }
        }
        let (file, models): (String, SunSpecModelSet)
        switch sunSpecModels() {
        case .success(let found): (file, models) = found
        case .failure(let problem): throw owner.error(problem.description)
        }
        let defaults = TransportDefaults()
        let endpoint = try parseEndpoint(&fields, owner: owner, defaults: defaults)
        let unit = try fields.optional("unit").map { node throws(DataFileError) in try node.integer(in: 0...255) } ?? defaults.unit
        let map = RegisterMap(name: "sunspec", vendor: "SunSpec", kind: "meter", sources: ["SunSpec Information Models (pysunspec2)"],
                              quantities: family.quantities(standard: SmartMeterPort.standard))
        var meter = Meter(id: id, mapFile: file, map: map, endpoint: endpoint, unit: unit, period: 1, timeoutMilliseconds: defaults.timeoutMilliseconds)
        meter.sunspec = SunSpecSelection(family: family, model: model, models: models)
        return meter
    }

    /// The SunSpec model layouts shipped in the register folders (sunspec/models.json), with the file's path.
    public static func sunSpecModels() -> Result<(String, SunSpecModelSet), SunSpecModelSet.LoadError> {
        let folders = MapCatalog.standard().folders
        guard let file = folders.map({ "\($0)/sunspec/models.json" }).first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            return .failure(SunSpecModelSet.LoadError(description: "the SunSpec model file sunspec/models.json is not in the register folders (\(folders.joined(separator: ", ")))"))
        }
        do { return .success((file, try SunSpecModelSet.load(file: file))) } catch { return .failure(error) }
    }

    /// One grid, PV and battery meter at most; `role: grid` is `site.grid_meter` said on the meter.
    static func applyRoles(_ config: inout Configuration, nodes: [YAMLNode]) throws(DataFileError) {
        for (meter, node) in zip(config.meters, nodes) {
            guard let role = meter.role else {
                continue
            }
            let taken: String? = switch role {
            case .grid: config.gridMeter
            case .pv: config.pvMeter
            case .battery: config.batteryMeter
            }
            if let other = taken, other != meter.id {
                let noun = role == .grid ? "grid meter" : "\(role.rawValue) meter"
                throw node.error("meter \(meter.id): a second \(noun) (\(other) is one: \(role == .grid ? "site.grid_meter or role: grid" : "role: \(role.rawValue)")); a site has one")
            }
            switch role {
            case .grid: config.gridMeter = meter.id
            case .pv: config.pvMeter = meter.id
            case .battery: config.batteryMeter = meter.id
            }
        }
        if let grid = config.gridMeter, let index = config.meters.firstIndex(where: { $0.id == grid }),
           let role = config.meters[index].role, role != .grid {
            throw nodes[index].error("meter \(grid) has role: \(role.rawValue) but site.grid_meter names it")
        }
    }
}
