import EnergyControl
import StorageModel

extension ControlCore {
    /// G100 (Vestel EVC08 §16.2): a grid power that stays beyond the connection's import or export
    /// limit is logged and recorded, and so is its return within it. (The import limit is held by
    /// the fuse loop; the chargers cannot lower an export.)
    mutating func watchConnection(_ sample: GridSample, now: Seconds, wall: Double, into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        guard let limits = settings.site.connection else { return }
        if connectionMonitor == nil { connectionMonitor = ConnectionLimitMonitor(limits: limits) }
        for change in connectionMonitor!.observe(power: sample.power, now: now) {
            switch change {
            case .exceeded(let side, let watts, let limit):
                let detail = "\(side.rawValue) \(formatKilowatts(watts)) kW beyond the limit of \(formatKilowatts(limit)) kW for \(Int(limits.excursionAfter)) s"
                logs.append(CoreLog(.warning, "G100: \(detail)"))
                storage.append(.event(EventRecord(at: wall, kind: EventKind.connectionLimitExceeded.rawValue, detail: detail)))
            case .restored(let side):
                logs.append(CoreLog(.notice, "G100: \(side.rawValue) within its limit again"))
                storage.append(.event(EventRecord(at: wall, kind: EventKind.connectionLimitRestored.rawValue, detail: side.rawValue)))
            }
        }
    }
}
