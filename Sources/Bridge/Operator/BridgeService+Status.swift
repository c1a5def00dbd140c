import ControlCore
import NorthboundMQTT
import OperatorStatus
import ServiceConfiguration
import EnergyControl
import ServiceSupport
import SiteRuntime
import Storage
import StorageModel

extension BridgeService {
    /// How many events the status page lists.
    public static let statusEvents = 20

    /// The site as the operator's endpoint shows it, now.
    /// - Parameters:
    ///   - events: read the newest events from the database (only the page shows them).
    ///   - history: with the charts' history.
    public func siteStatus(events withEvents: Bool = true, history withHistory: Bool = true) -> SiteStatus {
        let now = clock.now
        let view = control.view()
        let chargerRows = zip(chargers, view.chargers).map { point, core in
            let snapshot = point.snapshot
            let status = snapshot.status
            var row = SiteStatus.Charger(id: point.config.id, name: point.config.name, online: status.online,
                                      // the charger's own error beside its state (Bender CC613 §9)
                                      state: status.state.name + (status.errorCode.isEmpty ? "" : " (\(status.errorCode))"),
                                      setpoint: snapshot.decision.amperes, reason: snapshot.reason.rawValue, request: snapshot.request,
                                      maxCurrent: point.config.limits.maxCurrent, currents: status.currents, powerW: status.totalPower,
                                      energyWh: status.energyWh, sessionEnergyWh: status.sessionEnergyWh, master: snapshot.master,
                                      failsafe: snapshot.alarm, local: snapshot.local)
            row.steerable = status.steerable
            return row
        }
        let meterRows = configuration.meters.map { meter in
            let readings = meters.readings(meter.id, now: now)
            return SiteStatus.Meter(id: meter.id, online: readings != nil,
                                    values: (readings ?? [:]).sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) },
                                    role: Self.meterRole(meter.id, in: configuration))
        }
        let zoneLimits = Dictionary((configuration.load?.zones ?? []).map { ($0.id, $0.limit) }, uniquingKeysWith: { $1 })
        let zoneRows = view.zones.map { report in
            // the limit in force: with limit_kw at the measured voltages, lowered by the operator's
            let limit = report.limit ?? zoneLimits[report.id] ?? []
            let shown = view.operatorLimits[report.id].map { zip($0, limit).map { min($0, $1) } } ?? limit
            var row = SiteStatus.Zone(id: report.id, mode: report.mode.rawValue, limit: shown,
                                      available: report.available, allocated: report.allocated)
            row.plugs = report.phases.map(\.plugs)
            row.charging = report.phases.map(\.charging)
            row.buildingLoad = report.phases.map(\.buildingLoad)
            (row.nextToPause, row.nextToResume) = (report.nextToPause, report.nextToResume)
            return row
        }
        let inputRows = configuration.inputs.map { SiteStatus.Input(id: $0.id, role: $0.role.rawValue, active: view.inputValues[$0.id]) }
        // a database that cannot be read leaves the list empty; the page still shows the site
        let events = withEvents ? (try? recorder?.database.recentEvents(limit: Self.statusEvents)) ?? [] : []
        var status = SiteStatus(site: configuration.siteName, chargers: chargerRows, meters: meterRows, zones: zoneRows, inputs: inputRows,
                                events: events, eventsRecorded: recorder != nil, health: health(),
                                storageBacklog: recorder?.backlog.pending ?? 0, mqttConnected: mqtt?.isConnected)
        status.fuseLimit = view.fuseLimit
        status.utilityGatewayFailsafe = view.utilityGatewayFailsafe.flatMap { $0.isEmpty ? nil : $0 }
        (status.utilityLimitW, status.offPeak, status.tariff, status.price) = (view.utilityLimitW, view.offPeak, view.inputs.tariff, view.price)
        status.gridIncludesChargers = configuration.site.fuse.meterLocation == .including
        status.timeZone = configuration.timeZone
        if withHistory { status.history = historySampler?.history }
        return status
    }
}
