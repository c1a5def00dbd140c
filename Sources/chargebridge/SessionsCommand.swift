import ServiceConfiguration
import StorageModel
import ArgumentParser
import Bridge
import EnergyControl
import Foundation
import RegisterMaps
import Storage

/// `chargebridge sessions`: the charging sessions of the database, as a table or CSV for billing.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List or export (CSV) the charging sessions, with energy per time-of-use period.")

    @OptionGroup var source: DatabaseOptions

    @Option(help: "Sessions that started at or after this local time (YYYY-MM-DD or YYYY-MM-DDTHH:MM).")
    var from: String?

    @Option(help: "Sessions that started before this local time (YYYY-MM-DD or YYYY-MM-DDTHH:MM).")
    var to: String?

    @Flag(help: "CSV: one row per session, one energy column per time-of-use period.")
    var csv = false

    @Option(help: "Only this charger's sessions.") var charger: String?
    @Option(help: "Only sessions with this id tag.") var tag: String?

    func validate() throws {
        if let from { _ = try DatabaseOptions.time(from, option: "--from") }
        if let to { _ = try DatabaseOptions.time(to, option: "--to") }
    }

    func run() throws {
        let (store, periods) = try source.open()
        let sessions = try store.sessions(from: try from.map { try DatabaseOptions.time($0, option: "--from") } ?? -.infinity,
                                          to: try to.map { try DatabaseOptions.time($0, option: "--to") } ?? .infinity)
            .filter { session in charger.map { session.charger == $0 } ?? true && tag.map { session.idTag == $0 } ?? true }
        let columns = SessionExport.periodColumns(configured: periods, sessions: sessions)
        if csv {
            print(SessionExport.csv(sessions, periods: columns), terminator: "")
            return
        }
        print(SessionTable.format(sessions, periods: columns))
    }
}

/// Sessions as an aligned table for the terminal.
enum SessionTable {
    static func format(_ sessions: [SessionRecord], periods: [String]) -> String {
        guard !sessions.isEmpty else { return "no sessions" }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let header = ["charger", "start", "end", "kWh", "id tag", "max A"] + periods.map { "kWh \($0)" }
        let rows = sessions.map { session in
            [session.charger, formatter.string(from: Date(timeIntervalSince1970: session.startedAt)),
             session.endedAt.map { formatter.string(from: Date(timeIntervalSince1970: $0)) } ?? "(open)",
             String(format: "%.2f", session.energyWh / 1000), session.idTag, String(format: "%.1f", session.maxCurrent)]
                + periods.map { String(format: "%.2f", (session.periodEnergy[$0] ?? 0) / 1000) }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let line = { (cells: [String]) in zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        let total = sessions.reduce(0) { $0 + $1.energyWh } / 1000
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n\(sessions.count) session(s), \(String(format: "%.2f", total)) kWh"
    }
}
