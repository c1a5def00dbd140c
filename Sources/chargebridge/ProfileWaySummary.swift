import Foundation
import ServiceConfiguration
import Storage

/// check-config's line on how an OCPP charge point takes its current limit (the fallback ladder,
/// docs/OCPP.md), as the running service learnt it at a connection and kept in the database.
enum ProfileWaySummary {
    /// The database `storage:` names, read-only, when there is one yet (nil: none).
    static func database(_ configuration: Configuration) -> ChargeDatabase? {
        guard let path = configuration.storage?.databasePath, FileManager.default.fileExists(atPath: path) else { return nil }
        return try? ChargeDatabase(path: path, readOnly: true)
    }

    static func line(_ charger: Configuration.Charger, storage: Bool, database: ChargeDatabase?) -> String? {
        guard charger.ocpp != nil else { return nil }
        guard storage else { return "profile way: learnt at each start from the charge point's answers (no storage: not kept)" }
        guard let database else { return "profile way: not known yet, learnt at the charge point's first connection" }
        do {
            if let since = try database.notSteerableSince(charger: charger.id) {
                return "NOT STEERABLE since \(since): it refused every way of limiting its current; it is made Inoperative when it must not charge"
            }
            guard let way = try database.profileWay(charger: charger.id) else { return "profile way: not known yet, learnt at the charge point's first connection" }
            return "profile way: \(way) (accepted at an earlier connection)"
        } catch {
            return "profile way: the database cannot be read: \(error)"
        }
    }
}
