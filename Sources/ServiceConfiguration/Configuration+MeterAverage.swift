import DataFiles
import EnergyControl
import RegisterMaps

extension Configuration {
    /// A meter's `average_s` slows the increases of the loop it feeds: the grid meter's the fuse and
    /// sun loops, a zone meter's its zone. On any other meter it would do nothing: an error.
    static func applyMeterAverages(_ config: inout Configuration, meterNodes: [YAMLNode]) throws(DataFileError) {
        for (meter, node) in zip(config.meters, meterNodes) where meter.averageSeconds > 0 {
            if meter.id == config.gridMeter {
                config.site.fuse.meterAverage = meter.averageSeconds
            } else if let zone = config.zoneMeters[meter.id] {
                config.load?.zones[zone].meterAverage = meter.averageSeconds
            } else {
                throw node.error("average_s is for the grid meter or a zone's meter (it slows their loop's increases); meter \(meter.id) feeds no loop")
            }
        }
    }
}
