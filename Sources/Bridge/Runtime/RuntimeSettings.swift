import StorageModel
import Foundation
import Storage

/// Settings an operator changed at run time (over MQTT): they outlive a restart (kept in the database).
public struct RuntimeSettings: Codable, Sendable, Equatable {
    public struct Charger: Codable, Sendable, Equatable {
        /// A ChargeMode's raw value (validated when restored).
        public var mode: String?
        public var currentLimit: Int?
        public var enabled: Bool?
        public init(mode: String? = nil, currentLimit: Int? = nil, enabled: Bool? = nil) {
            self.mode = mode
            self.currentLimit = currentLimit
            self.enabled = enabled
        }
    }

    public var chargers: [String: Charger] = [:]
    /// Operator sub-distribution limits per zone id, amperes per phase.
    public var zoneLimits: [String: [Double]] = [:]
    /// Inputs whose value arrives over MQTT (a utility's load-shedding signal must hold across a restart).
    public var inputs: [String: Bool] = [:]

    public init() {}

    /// Every key may be missing (a file from an older version): missing means none set.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        chargers = try container.decodeIfPresent([String: Charger].self, forKey: .chargers) ?? [:]
        zoneLimits = try container.decodeIfPresent([String: [Double]].self, forKey: .zoneLimits) ?? [:]
        inputs = try container.decodeIfPresent([String: Bool].self, forKey: .inputs) ?? [:]
    }
}

/// Operator settings in the database (one JSON value under one key): saved in one transaction
/// with `synchronous = FULL`, so once a command is acknowledged it survives a crash or power cut.
public struct RuntimeStore: Sendable {
    public let database: ChargeDatabase
    static let key = "runtime"

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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(settings), as: UTF8.self)
        try database.setSetting(Self.key, text, at: Date().timeIntervalSince1970)
    }
}

public struct RuntimeStoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
