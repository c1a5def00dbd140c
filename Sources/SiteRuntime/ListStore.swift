import Authorization
import Foundation
import ServiceSupport
import Storage

/// The local authorization list changed over MQTT, in the database beside the operator settings
/// (one JSON value, saved with `synchronous = FULL` before the change is taken).
public struct ListStore: Sendable {
    public let database: ChargeDatabase
    package static let key = "authorization.list"

    public init(database: ChargeDatabase) { self.database = database }

    /// The saved list; nil when none was saved.
    public func load() throws -> LocalList? {
        guard let text = try database.setting(Self.key) else { return nil }
        do {
            return try JSONDecoder().decode(LocalList.self, from: Data(text.utf8))
        } catch {
            throw RuntimeStoreError("\(database.path): the saved authorization list cannot be read: \(error)")
        }
    }

    public func save(_ list: LocalList) throws {
        try database.setSetting(Self.key, try SortedJSON.text(list), at: Date().timeIntervalSince1970)
    }
}
