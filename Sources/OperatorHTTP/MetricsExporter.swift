import OperatorStatus
import Prometheus
import StandbyLease
import Synchronization

/// `/metrics`: the registry swift-metrics reports into (meter polls, control steps, Modbus
/// requests, MQTT publishes), plus the site's state as gauges, set from a site status when the
/// page is asked for — nothing is computed between scrapes.
final class MetricsExporter: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Each charger's current setpoint reason as an info-style series: a changed reason replaces
    /// the series (one series per charger, not one per reason ever seen), and the setpoint itself
    /// keeps one series whatever the reason.
    private let reasons = Mutex<[String: (reason: String, gauge: Gauge)]>([:])
    /// The chargers' energy registers, in joules (Prometheus' base unit of energy).
    private let energy: ReadingCounters

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        energy = ReadingCounters(registry: registry, name: "charger_energy", unit: "joules_total",
                                 help: "Energy meter reading of the charger (a counter; Wh × 3600)")
    }

    private func gauge(_ name: String, _ unit: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "chargebridge", metricName: name, unitName: unit, helpText: help), labels: labels)
    }

    func render(_ status: SiteStatus) -> [UInt8] {
        for charger in status.chargers {
            let id = [("charger", charger.id)]
            gauge("charger_setpoint", "amperes", "The current the charger may draw", id).set(to: Double(charger.setpoint))
            reason(charger)
            for (phase, current) in charger.currents.enumerated() {
                gauge("charger_current", "amperes", "Current drawn per phase", id + [("phase", "l\(phase + 1)")]).set(to: current)
            }
            gauge("charger_power", "watts", "Active power", id).set(to: charger.powerW)
            // an offline charger's reading is not its register: the counter keeps its last value
            if charger.online { energy.record(charger.energyWh * 3600, key: charger.id, labels: id) }
            gauge("charger_session_energy", "joules", "Energy of the current session (Wh × 3600)", id).set(to: charger.sessionEnergyWh * 3600)
            gauge("charger_request", "amperes", "What the energy manager asks for", id).set(to: Double(charger.request))
            gauge("charger_failsafe", "", "1 while the charger's energy manager is silent (failsafe current, an alarm)", id).set(to: charger.failsafe ? 1 : 0)
            gauge("charger_local", "", "1 while no energy manager steers the charger (local control)", id).set(to: charger.local ? 1 : 0)
            gauge("charger_master_connected", "", "1 while an energy manager is connected as master", id).set(to: charger.master == nil ? 0 : 1)
            gauge("charger_online", "", "1 while the charger answers", id).set(to: charger.online ? 1 : 0)
        }
        for meter in status.meters {
            gauge("meter_online", "", "1 while the meter answers with plausible values", [("meter", meter.id)]).set(to: meter.online ? 1 : 0)
            for series in MeterSeries.of(meter.values) {
                let labels = [("meter", meter.id)] + (series.phase.map { [("phase", $0)] } ?? [])
                gauge(series.metric, series.unit, series.help, labels).set(to: series.value)
            }
        }
        for zone in status.zones {
            for phase in zone.available.indices {
                let labels = [("zone", zone.id), ("phase", "l\(phase + 1)")]
                gauge("zone_available", "amperes", "What the EVs below the zone may draw", labels).set(to: zone.available[phase])
                if phase < zone.allocated.count {
                    gauge("zone_allocated", "amperes", "What the EVs below the zone were given", labels).set(to: zone.allocated[phase])
                }
            }
        }
        if let connected = status.mqttConnected {
            gauge("mqtt_connected", "", "1 while the MQTT broker is connected").set(to: connected ? 1 : 0)
        }
        gauge("storage_backlog", "writes", "Storage writes not yet on disk").set(to: Double(status.storageBacklog))
        if let standby = status.health.standby {
            let labels = [("instance", standby.instance), ("role", standby.role)]
            gauge("standby_leader", "", "1 while this instance of a standby pair holds the lease and steers the chargers", labels)
                .set(to: standby.leading ? 1 : 0)
            gauge("standby_broker_connected", "", "1 while this instance of a standby pair reaches the broker holding the lease", labels)
                .set(to: standby.brokerConnected ? 1 : 0)
        }
        return registry.emitToBuffer()
    }

    /// `charger_setpoint_reason{charger, reason} 1`, for the reason the setpoint has now only.
    private func reason(_ charger: SiteStatus.Charger) {
        reasons.withLock { reasons in
            if let held = reasons[charger.id], held.reason == charger.reason { return }
            if let held = reasons[charger.id] { registry.unregisterGauge(held.gauge) }
            let made = gauge("charger_setpoint_reason", "", "1 for the reason the charger's setpoint was decided (one series per charger)",
                             [("charger", charger.id), ("reason", charger.reason)])
            made.set(to: 1)
            reasons[charger.id] = (charger.reason, made)
        }
    }
}
