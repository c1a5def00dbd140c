import Foundation

/// Sessions as CSV for billing: one row per session, one energy column per time-of-use period
/// [SPEC §9, Schneider §3.3.1]. Pure: the caller reads the sessions and names the periods.
public enum SessionExport {
    /// The period name for energy outside every time-of-use period.
    public static let standardPeriod = "standard"

    /// Period columns: `configured` in their order, then any other period found in the sessions
    /// (a period since removed from the configuration), then the standard period if it occurs
    /// or nothing else does.
    public static func periodColumns(configured: [String], sessions: [SessionRecord]) -> [String] {
        var columns = configured.filter { $0 != standardPeriod }
        let seen = Set(sessions.flatMap { $0.periodEnergy.keys })
        columns += seen.subtracting(columns).subtracting([standardPeriod]).sorted()
        if seen.contains(standardPeriod) || columns.isEmpty || configured.contains(standardPeriod) { columns.append(standardPeriod) }
        return columns
    }

    public static func csv(_ sessions: [SessionRecord], periods: [String], timeZone: TimeZone = .current) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        func time(_ value: Double?) -> String { value.map { formatter.string(from: Date(timeIntervalSince1970: $0)) } ?? "" }
        var header = ["charger", "start", "end", "duration_s", "energy_wh", "id_tag", "max_current_a", "end_reason",
                      "meter_start_wh", "meter_end_wh", "charger_serial",
                      // the charging data record's remaining columns (Schneider EV Charging Expert user guide §3.3.1)
                      "transaction", "connector", "station_name", "charge_type", "effective_charge_s", "comment", "charger_transaction"]
        header += periods.map { "energy_wh_\($0)" }
        var lines = [header.map(cell).joined(separator: ",")]
        for session in sessions {
            var row = [cell(session.charger), time(session.startedAt), time(session.endedAt),
                       session.endedAt.map { String(format: "%.0f", $0 - session.startedAt) } ?? "",
                       String(format: "%.0f", session.energyWh), cell(session.idTag), String(format: "%.1f", session.maxCurrent),
                       cell(session.endReason ?? (session.endedAt == nil ? "open" : "")),
                       session.meterStartWh.map { String(format: "%.0f", $0) } ?? "", session.meterEndWh.map { String(format: "%.0f", $0) } ?? "",
                       cell(session.chargerSerial),
                       session.id.map { String($0) } ?? "", String(session.connector), cell(session.stationName), cell(session.chargeType),
                       String(format: "%.0f", session.effectiveChargeSeconds), cell(session.comment), cell(session.chargerTransaction)]
            row += periods.map { String(format: "%.0f", session.periodEnergy[$0] ?? 0) }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting; text a spreadsheet would run as a formula (an id tag "=1+1") is defused.
    static func cell(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
