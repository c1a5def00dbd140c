import OperatorStatus
import ServiceConfiguration

extension BridgeService {
    /// What a configured meter measures, for the status page and its energy flow: the grid meter,
    /// a zone's meter, PV, a battery, or a meter only shown.
    ///
    /// Stop-gap until meters carry a configured role: an id that is or begins with `pv` or `solar`
    /// is taken for PV, one that is or begins with `battery` or `bat` for a battery.
    package static func meterRole(_ id: String, in configuration: Configuration) -> String {
        if id == configuration.gridMeter { return SiteStatus.Meter.Role.grid }
        if configuration.zoneMeters[id] != nil { return SiteStatus.Meter.Role.zone }
        let name = id.lowercased()
        /// `prefix` alone or followed by something that is not a letter (`pv2`, `bat-1`; not `bathroom`).
        func begins(_ prefix: String) -> Bool {
            name.hasPrefix(prefix) && !(name.dropFirst(prefix.count).first?.isLetter ?? false)
        }
        if begins("pv") || name.hasPrefix("solar") { return SiteStatus.Meter.Role.pv }
        if name.hasPrefix("battery") || begins("bat") { return SiteStatus.Meter.Role.battery }
        return SiteStatus.Meter.Role.shown
    }
}
