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

    @Option(help: "The service's configuration (its storage.data_dir holds the database, its time_of_use names the periods).")
    var config: String?

    @Option(help: "The database file itself (instead of --config).")
    var database: String?

    @Option(help: "Sessions that started at or after this local time (YYYY-MM-DD or YYYY-MM-DDTHH:MM).")
    var from: String?

    @Option(help: "Sessions that started before this local time (YYYY-MM-DD or YYYY-MM-DDTHH:MM).")
    var to: String?

    @Flag(help: "CSV: one row per session, one energy column per time-of-use period.")
    var csv = false

    func validate() throws {
        guard (config == nil) != (database == nil) else { throw ValidationError("name either --config or --database") }
        if let from { _ = try Self.time(from, option: "--from") }
        if let to { _ = try Self.time(to, option: "--to") }
    }

    func run() throws {
        var path = database
        var periods: [String] = []
        if let config {
            let configuration = try Configuration.load(file: config)
            guard let storage = configuration.storage else {
                throw ValidationError("\(config) has no storage section: nothing is recorded")
            }
            path = storage.databasePath
            periods = configuration.load?.timeOfUse?.periods.map(\.name) ?? []
        }
        let store = try ChargeDatabase(path: path!, readOnly: true)
        let sessions = try store.sessions(from: try from.map { try Self.time($0, option: "--from") } ?? -.infinity,
                                          to: try to.map { try Self.time($0, option: "--to") } ?? .infinity)
        let columns = SessionExport.periodColumns(configured: periods, sessions: sessions)
        if csv {
            print(SessionExport.csv(sessions, periods: columns), terminator: "")
            return
        }
        print(SessionTable.format(sessions, periods: columns))
    }

    /// A local date or date and time, as Unix seconds.
    static func time(_ text: String, option: String) throws -> Double {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        }
        throw ValidationError("\(option): \"\(text)\" is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
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
