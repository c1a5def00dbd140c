import StorageModel
import Foundation

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
