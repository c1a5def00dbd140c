import Foundation
import OperatorStatus

/// Sites and samples for the status page's tests.
enum Fixture {
    static func charger(_ id: String, powerW: Double = 0, currents: [Double] = [0, 0, 0], online: Bool = true) -> SiteStatus.Charger {
        SiteStatus.Charger(id: id, name: id, online: online, state: powerW > 0 ? "charging" : "connected", setpoint: 16, reason: "ems",
                           request: 16, maxCurrent: 16, currents: currents, powerW: powerW, energyWh: 0, sessionEnergyWh: 0, failsafe: false,
                           local: false)
    }

    static func meter(_ id: String, role: String, power: Double?, currents: [Double]? = nil, online: Bool = true) -> SiteStatus.Meter {
        var values: [(name: String, value: Double)] = []
        if let currents { values += zip(["current.l1", "current.l2", "current.l3"], currents).map { (name: $0, value: $1) } }
        if let power { values.append((name: "power.total", value: power)) }
        return SiteStatus.Meter(id: id, online: online, values: online ? values : [], role: role)
    }

    static func status(chargers: [SiteStatus.Charger], meters: [SiteStatus.Meter] = [], history: SiteHistory? = nil,
                       fuse: [Double]? = nil) -> SiteStatus {
        let health = HealthSummary(uptimeSeconds: 60, chargers: chargers.count, chargersOffline: [], chargersInFailsafe: [], metersOffline: [],
                                   gridMeter: "online", storage: "off", pendingWrites: 0)
        var status = SiteStatus(site: "test site", chargers: chargers, meters: meters, zones: [], inputs: [], events: [], eventsRecorded: false,
                                health: health, storageBacklog: 0)
        status.history = history
        status.fuseLimit = fuse
        status.timeZone = TimeZone(identifier: "UTC")!
        return status
    }

    /// A sample whose every value is `value` (grid currents too), `chargers` charger series.
    static func sample(at time: Double, _ value: Float, chargers: Int = 2) -> HistorySample {
        HistorySample(time: time, gridCurrent: .init(l1: value, l2: value, l3: value), gridW: value, pvW: value, batteryW: value, houseW: value,
                      chargersW: value, chargersCurrent: value, chargerCurrents: [Float](repeating: value, count: chargers))
    }

    /// 2026-12-03 10:00:00 UTC, on a whole minute.
    static let morning: Double = 1_796_292_000
}
