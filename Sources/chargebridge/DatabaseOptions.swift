import ArgumentParser
import EnergyControl
import Foundation
import ServiceConfiguration
import Storage

/// `--config` or `--database`: where `sessions` and `events` find the service's database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "The service's configuration (its storage.data_dir holds the database, its time_of_use names the periods).")
    var config: String?

    @Option(help: "The database file itself (instead of --config).")
    var database: String?

    func validate() throws {
        guard (config == nil) != (database == nil) else { throw ValidationError("name either --config or --database") }
    }

    /// The database, opened read-only (the service may be writing: WAL), and the configured tariff periods.
    func open() throws -> (database: ChargeDatabase, periods: [String]) {
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
        return (try ChargeDatabase(path: path!, readOnly: true), periods)
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
