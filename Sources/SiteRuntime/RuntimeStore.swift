import ControlCore
import Foundation
import ServiceSupport
import Storage

/// Operator settings in the database (one JSON value under one key): saved in one transaction
/// with `synchronous = FULL`, so once a command is acknowledged it survives a crash or power cut.
public struct RuntimeStore: Sendable {
    public let database: ChargeDatabase
    package static let key = "runtime"

    public init(database: ChargeDatabase) { self.database = database }

    /// The saved settings; none when nothing was saved yet.
    public func load() throws -> RuntimeSettings {
        guard let text = try database.setting(Self.key) else { return RuntimeSettings() }
        do {
            return try JSONDecoder().decode(RuntimeSettings.self, from: Data(text.utf8))
        } catch {
            throw RuntimeStoreError("\(database.path): the saved runtime settings cannot be read: \(error)")
        }
    }

    public func save(_ settings: RuntimeSettings) throws {
        try database.setSetting(Self.key, try SortedJSON.text(settings), at: Date().timeIntervalSince1970)
    }
}

public struct RuntimeStoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
