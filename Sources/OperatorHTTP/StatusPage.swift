import Foundation
import OperatorStatus
import StandbyLease
import StorageModel

/// The status page: server-rendered HTML with no script and no front-end build step. It reloads
/// itself (`<meta http-equiv="refresh">`). Pure: a site status in, a page out.
package enum StatusPage {
    /// - Parameter range: what the charts cover (`/?range=`).
    package static func render(_ status: SiteStatus, refreshSeconds: Int, version: String, range: HistoryRange = .hour) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="refresh" content="\(refreshSeconds)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(status.site)) — chargebridge</title>
        <style>\(style)\(EnergyFlowTiles.style)\(StatusCharts.style)</style></head><body>
        <header><h1>\(escape(status.site))</h1>
        <p class="health \(escape(status.health.status))" id="health">\(escape(status.health.line))</p>
        <p class="small">chargebridge \(escape(version)) · MQTT \(status.mqttConnected.map { $0 ? "connected" : "away" } ?? "not configured")
         · storage \(escape(status.health.storage))\(status.storageBacklog > 0 ? " (\(status.storageBacklog) waiting)" : "") · reloads every \(refreshSeconds) s</p>
        \(signals(status))</header>

        """
        if let standby = status.health.standby { html += pair(standby) }
        if status.health.standby?.leading != false {
            html += EnergyFlowTiles.render(.of(meters: status.meters, chargers: status.chargers, gridIncludesChargers: status.gridIncludesChargers),
                                           fuse: status.fuseLimit)
            html += StatusCharts.render(status, range: range)
            html += chargers(status.chargers)
        }
        if !status.meters.isEmpty { html += meters(status.meters) }
        if !status.zones.isEmpty { html += zones(status.zones) }
        if !status.inputs.isEmpty { html += inputs(status.inputs) }
        html += events(status.events, recorded: status.eventsRecorded)
        html += "</body></html>\n"
        return html
    }

    /// The utility's signals, when the site has them: a power limit on the chargers, off-peak, the tariff, the price.
    static func signals(_ status: SiteStatus) -> String {
        var parts: [String] = []
        if let limit = status.utilityLimitW { parts.append("<span class=\"warn\">utility limit \(format(limit / 1000, 2)) kW on the chargers</span>") }
        if let reason = status.utilityGatewayFailsafe { parts.append("<span class=\"warn\">utility gateway failsafe: \(escape(reason))</span>") }
        if let offPeak = status.offPeak { parts.append(offPeak ? "off-peak" : "peak") }
        if let tariff = status.tariff { parts.append("tariff \(format(tariff, 0))") }
        if let price = status.price { parts.append("price \(format(price, 4)) per kWh") }
        return parts.isEmpty ? "" : "<p class=\"small\" id=\"signals\">" + parts.joined(separator: " · ") + "</p>"
    }

    /// A standby pair: who this is, who leads; a standing-by instance shows no chargers (it talks to none).
    static func pair(_ standby: LeadershipStatus) -> String {
        let leader = standby.leader.map { $0 == standby.instance ? "this instance" : escape($0) } ?? "none"
        var html = "<h2>Standby pair</h2>\n<p id=\"standby\" data-state=\"\(escape(standby.state))\">This is <b>\(escape(standby.instance))</b> "
            + "(\(escape(standby.role))), <b>\(escape(standby.state))</b>; leader: \(leader); broker \(standby.brokerConnected ? "connected" : "away").</p>\n"
        if !standby.leading {
            html += "<p class=\"small\">Standing by: no Modbus listener, no charger connection. The leader's page shows the chargers.</p>\n"
        }
        return html
    }

    static func chargers(_ rows: [SiteStatus.Charger]) -> String {
        var html = "<h2>Chargers</h2>\n<table id=\"chargers\"><thead><tr><th>Charger</th><th>State</th><th>Setpoint</th><th>Reason</th>"
            + "<th>Asked</th><th>Currents L1/L2/L3</th><th>Power</th><th>Session</th><th>Master</th></tr></thead><tbody>\n"
        for row in rows {
            let state = row.online ? row.state : "offline"
            html += "<tr id=\"charger-\(escape(row.id))\" class=\"\(row.online ? "" : "offline")\">"
                + "<td>\(escape(row.id))\(row.name != row.id ? "<br><span class=\"small\">\(escape(row.name))</span>" : "")</td>"
                + "<td>\(escape(state))</td>"
                + "<td class=\"setpoint\" data-setpoint=\"\(row.setpoint)\">\(row.setpoint) A"
                + "\(row.steerable ? "" : "<br><span class=\"warn\" title=\"it refused every way of limiting its current: it is made Inoperative when it must not charge\">not steerable</span>")</td>"
                + "<td>\(escape(row.reason))</td><td>\(row.request) A</td>"
                + "<td>\(row.currents.map { format($0, 1) }.joined(separator: " / ")) A</td>"
                + "<td>\(format(row.powerW, 0)) W</td><td>\(format(row.sessionEnergyWh, 0)) Wh</td>"
                + "<td>\(row.local ? "local" : row.failsafe ? "<span class=\"warn\">failsafe</span>" : escape(row.master ?? "none"))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    static func meters(_ rows: [SiteStatus.Meter]) -> String {
        var html = "<h2>Meters</h2>\n<table id=\"meters\"><thead><tr><th>Meter</th><th>Role</th><th>Online</th><th>Last values</th></tr></thead><tbody>\n"
        for row in rows {
            let values = row.values.map { "\(escape($0.name)) \(format($0.value, 2))" }.joined(separator: ", ")
            html += "<tr id=\"meter-\(escape(row.id))\" class=\"\(row.online ? "" : "offline")\"><td>\(escape(row.id))</td><td>\(escape(row.role))</td>"
                + "<td>\(row.online ? "yes" : "<span class=\"warn\">no</span>")</td><td class=\"small\">\(values.isEmpty ? "—" : values)</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    static func zones(_ rows: [SiteStatus.Zone]) -> String {
        var html = "<h2>Zones</h2>\n<table id=\"zones\"><thead><tr><th>Zone</th><th>Mode</th><th>Limit</th><th>Available</th><th>Allocated</th>"
            + "<th>Charging / plugs L1/L2/L3</th><th>Other loads</th><th>Next to pause</th><th>Next to resume</th></tr></thead><tbody>\n"
        // a zone without a limit of its own (the site above a fuse-less building) shows a dash, not " A"
        func phases(_ values: [Double]) -> String { values.isEmpty ? "—" : values.map { format($0, 1) }.joined(separator: " / ") + " A" }
        for row in rows {
            html += "<tr id=\"zone-\(escape(row.id))\"><td>\(escape(row.id))</td><td>\(escape(row.mode))</td><td>\(phases(row.limit))</td>"
                + "<td>\(phases(row.available))</td><td>\(phases(row.allocated))</td>"
                + "<td class=\"phases\">\(zip(row.charging, row.plugs).map { "\($0)/\($1)" }.joined(separator: " · "))</td>"
                + "<td>\(row.buildingLoad.contains { $0 != nil } ? row.buildingLoad.map { $0.map { format($0, 1) } ?? "—" }.joined(separator: " / ") + " A" : "—")</td>"
                + "<td>\(escape(row.nextToPause ?? "—"))</td><td>\(escape(row.nextToResume ?? "—"))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    static func inputs(_ rows: [SiteStatus.Input]) -> String {
        var html = "<h2>Inputs</h2>\n<table id=\"inputs\"><thead><tr><th>Input</th><th>Role</th><th>Active</th></tr></thead><tbody>\n"
        for row in rows {
            let active = row.active.map { $0 ? "yes" : "no" } ?? "not read yet"
            html += "<tr id=\"input-\(escape(row.id))\"><td>\(escape(row.id))</td><td>\(escape(row.role))</td><td>\(active)</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    static func events(_ rows: [EventRecord], recorded: Bool) -> String {
        guard recorded else { return "<h2>Events</h2>\n<p class=\"small\">Events are recorded only with <code>storage:</code> configured.</p>\n" }
        let timeFormat = ISO8601DateFormatter()   // one per page: formatters are not shared across threads
        timeFormat.timeZone = .current
        var html = "<h2>Last events</h2>\n<table id=\"events\"><thead><tr><th>Time</th><th>Event</th><th>Subject</th><th>Detail</th></tr></thead><tbody>\n"
        for row in rows {
            html += "<tr><td>\(timeFormat.string(from: Date(timeIntervalSince1970: row.at)))</td><td>\(escape(row.kind))</td>"
                + "<td>\(escape(row.subject))</td><td class=\"small\">\(escape(row.detail))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    /// Everything shown comes from configuration, devices or the network: escaped, always.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        value.isFinite ? String(format: "%.\(decimals)f", value) : "—"
    }


    static let style = """
    body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h1{margin:0 0 .2em}h2{margin:1.2em 0 .4em;font-size:1.15em}
    table{border-collapse:collapse;font-size:.92em}th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
    th{background:#f3f3f3}.small{font-size:.85em;color:#555}.offline td{color:#999}.warn{color:#b00;font-weight:600}
    .health{font-weight:600}.health.ok{color:#070}.health.degraded{color:#b00}.health.standby{color:#a60}
    """
}
