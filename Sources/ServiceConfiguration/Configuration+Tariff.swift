import DataFiles
import RegisterMaps

extension Configuration {
    /// The meter whose tariff decides off-peak (`load_management.off_peak.source: tic`): the one
    /// named, or the only meter that reports a tariff (a Linky TIC or a P1 meter).
    static func tariffMeter(_ named: String, _ config: Configuration, _ load: YAMLNode) throws(DataFileError) -> String {
        var loadFields = try load.fields()
        let offPeak = loadFields.optional("off_peak")
        var offPeakFields = try offPeak?.fields()
        let node = offPeakFields?.optional("meter") ?? offPeak
        let reporting = config.meters.filter { $0.map.quantities.contains { $0.name == "tariff" } }.map(\.id)
        if named.isEmpty {
            guard reporting.count == 1 else {
                let message = reporting.isEmpty
                    ? "source: tic needs a meter that reports the tariff (a tic: or p1: meter under meters)"
                    : "several meters report a tariff (\(reporting.joined(separator: ", "))): name one with meter:"
                throw node?.error(message) ?? DataFileError(file: config.file, line: nil, field: "load_management.off_peak", message: message)
            }
            return reporting[0]
        }
        guard config.meters.contains(where: { $0.id == named }) else {
            let message = "no meter with id \"\(named)\" under meters"
            throw node?.error(message) ?? DataFileError(file: config.file, line: nil, field: "load_management.off_peak.meter", message: message)
        }
        guard reporting.contains(named) else {
            let message = "meter \"\(named)\" reports no tariff: off-peak from the meter needs a tic: or p1: meter"
            throw node?.error(message) ?? DataFileError(file: config.file, line: nil, field: "load_management.off_peak.meter", message: message)
        }
        return named
    }
}
