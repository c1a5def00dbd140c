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

    /// A charger's charging plan (MQTT `plan/set`): kept so a restart does not forget a departure.
    public struct Plan: Codable, Sendable, Equatable {
        /// "energy" (this much more) or "target" (the session reaches this), kWh.
        public var goal: String
        public var kWh: Double
        /// Unix seconds.
        public var departure: Double
        /// A `ChargePlanRequest.Objective`'s raw value.
        public var objective: String
        /// The session energy aimed at once a vehicle was plugged in, kWh (nil: none seen yet).
        public var target: Double?
        public init(goal: String, kWh: Double, departure: Double, objective: String, target: Double? = nil) {
            self.goal = goal
            self.kWh = kWh
            self.departure = departure
            self.objective = objective
            self.target = target
        }
    }

    public var chargers: [String: Charger] = [:]
    /// Operator sub-distribution limits per zone id, amperes per phase.
    public var zoneLimits: [String: [Double]] = [:]
    /// Inputs whose value arrives over MQTT (a utility's load-shedding signal must hold across a restart).
    public var inputs: [String: Bool] = [:]
    /// The utility's power limit set over MQTT (`site/power_limit/set`), watts: a grid operator's
    /// limit must hold across a restart.
    public var powerLimitW: Double?
    /// Charging plans by charger id.
    public var plans: [String: Plan] = [:]

    public init() {}

    /// Every key may be missing (a file from an older version): missing means none set.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        chargers = try container.decodeIfPresent([String: Charger].self, forKey: .chargers) ?? [:]
        zoneLimits = try container.decodeIfPresent([String: [Double]].self, forKey: .zoneLimits) ?? [:]
        inputs = try container.decodeIfPresent([String: Bool].self, forKey: .inputs) ?? [:]
        powerLimitW = try container.decodeIfPresent(Double.self, forKey: .powerLimitW)
        plans = try container.decodeIfPresent([String: Plan].self, forKey: .plans) ?? [:]
    }
}
