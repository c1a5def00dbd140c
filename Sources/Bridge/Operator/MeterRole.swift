import OperatorStatus
import ServiceConfiguration

extension BridgeService {
    /// What a configured meter measures, for the status page and its energy flow: the grid meter,
    /// a zone's meter, PV, a battery (its configured `role:`), or a meter only shown.
    package static func meterRole(_ id: String, in configuration: Configuration) -> String {
        if id == configuration.gridMeter { return SiteStatus.Meter.Role.grid }
        if configuration.zoneMeters[id] != nil { return SiteStatus.Meter.Role.zone }
        switch configuration.meters.first(where: { $0.id == id })?.role {
        case .pv?: return SiteStatus.Meter.Role.pv
        case .battery?: return SiteStatus.Meter.Role.battery
        case .grid?, nil: return SiteStatus.Meter.Role.shown
        }
    }
}
