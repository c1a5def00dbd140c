import Foundation
import RegisterMaps

/// Where the bridge keeps its database (sessions, event log, runtime settings) [SPEC §9].
public struct StorageSettings: Sendable, Equatable {
    /// The folder of `chargebridge.sqlite` (and its WAL files).
    public var dataDirectory: String
    /// Events older than this are pruned (sessions are billing records and are kept).
    public var eventRetentionDays = 30.0
    /// An open session's energy is written at least this often while it flows.
    public var checkpointSeconds = 5.0

    public var databasePath: String { URL(fileURLWithPath: dataDirectory).appendingPathComponent("chargebridge.sqlite").path }

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    static func parse(_ node: YAMLNode) throws(DataFileError) -> StorageSettings {
        var fields = try node.fields()
        let folder = try fields.required("data_dir")
        var settings = StorageSettings(dataDirectory: try folder.string())
        if settings.dataDirectory.isEmpty { throw folder.error("name a folder") }
        if let days = fields.optional("event_retention_days") { settings.eventRetentionDays = try days.number(in: 1...3650) }
        if let seconds = fields.optional("checkpoint_s") { settings.checkpointSeconds = try seconds.number(in: 1...600) }
        try fields.finish()
        return settings
    }
}
