import Foundation

/// The setpoint as a stack of charging profiles (OCPP 1.6 §3.13, OCPP 2.0.1 K01): stack level 0
/// holds the failsafe current with no end; a higher level holds the dynamic setpoint with a short
/// validity that the bridge renews. If the bridge goes silent the dynamic profile expires and the
/// charger falls back to level 0 by itself — the OCPP counterpart of the EVC08 alive register.
/// The profiles are neutral values; each version's message set writes them in its own fields.
public struct ProfileStack: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        case txDefault = "tx_default", chargePointMax = "charge_point_max"
    }

    public enum RateUnit: String, Sendable {
        case amperes = "A", watts = "W"
    }

    public var connector = 1
    public var purpose = Purpose.txDefault
    public var unit = RateUnit.amperes
    /// Stack level and profile id of the dynamic setpoint (the failsafe is level 0).
    public var dynamicLevel = 1
    /// How long one dynamic profile is valid; renewed at half of it.
    public var validity: Double = 60
    public var voltage: Double = 230

    public init() {}

    public static let failsafeProfileId = 1000
    public static let dynamicProfileId = 1001

    /// The failsafe current: stack level 0, no end. In W it counts one phase: whatever car is
    /// plugged when it takes over, no phase gets more than the failsafe current.
    /// `purpose`: the way the fallback ladder found (nil: the configured purpose).
    public func failsafe(amperes: Int, phases: Int?, wall: Date, purpose: ChargingProfile.Purpose? = nil) -> ChargingProfile {
        profile(id: Self.failsafeProfileId, level: 0, limit: limit(amperes: amperes, powerPhases: 1), phases: phases, validTo: nil,
                wall: wall, purpose: purpose)
    }

    /// The dynamic setpoint, valid until `wall` + `validity`; in W it counts `powerPhases`, the
    /// phases the car really uses (one until it is seen charging).
    public func dynamic(amperes: Int, phases: Int?, powerPhases: Int, wall: Date, purpose: ChargingProfile.Purpose? = nil) -> ChargingProfile {
        profile(id: Self.dynamicProfileId, level: dynamicLevel, limit: limit(amperes: amperes, powerPhases: powerPhases), phases: phases,
                validTo: wall.addingTimeInterval(validity), wall: wall, purpose: purpose)
    }

    /// The limit in the profile's unit for `amperes` on each of `powerPhases` phases.
    public func limit(amperes: Int, powerPhases: Int) -> Double {
        unit == .amperes ? Double(amperes) : Double(amperes) * voltage * Double(min(3, max(1, powerPhases)))
    }

    private func profile(id: Int, level: Int, limit: Double, phases: Int?, validTo: Date?, wall: Date,
                         purpose: ChargingProfile.Purpose?) -> ChargingProfile {
        // Absolute, starting a little in the past: active at once even if the charger's clock lags
        ChargingProfile(id: id, stackLevel: level, purpose: purpose ?? (self.purpose == .txDefault ? .txDefault : .stationMax), connector: connector,
                        unit: unit, limit: limit, phases: phases, startSchedule: wall.addingTimeInterval(-60), validTo: validTo)
    }
}

/// One charging profile with a single Absolute period, whatever version carries it.
public struct ChargingProfile: Sendable, Equatable {
    public enum Purpose: Sendable, Equatable {
        /// For every transaction on the connector (EVSE).
        case txDefault
        /// A cap on the whole station (connector / EVSE 0).
        case stationMax
        /// For the running transaction only (the fallback ladder's third rung).
        case tx(transactionId: String)
    }

    public var id: Int
    public var stackLevel: Int
    public var purpose: Purpose
    /// The connector (1.6) or EVSE (2.0.1) it is for; a station-wide profile goes to 0.
    public var connector: Int
    public var unit: ProfileStack.RateUnit
    public var limit: Double
    public var phases: Int?
    public var startSchedule: Date
    public var validTo: Date?

    /// Where the profile is installed: the station (0) for a cap on all of it.
    public var target: Int { purpose == .stationMax ? 0 : connector }

    /// The one period, in the field names both versions share.
    var period: JSONValue {
        var period: [String: JSONValue] = ["startPeriod": 0, "limit": .number(limit)]
        if let phases { period["numberPhases"] = .number(Double(phases)) }
        return .object(period)
    }
}
