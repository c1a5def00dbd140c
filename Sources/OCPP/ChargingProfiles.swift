import Foundation

/// The setpoint as a stack of charging profiles (OCPP 1.6 §3.13): stack level 0 holds the failsafe
/// current with no end; a higher level holds the dynamic setpoint with a short validity that the
/// bridge renews. If the bridge goes silent the dynamic profile expires and the charger falls back
/// to level 0 by itself — the OCPP counterpart of the EVC08 alive register.
public struct ProfileStack: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        case txDefault = "tx_default", chargePointMax = "charge_point_max"

        var ocppName: String { self == .txDefault ? "TxDefaultProfile" : "ChargePointMaxProfile" }
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

    /// SetChargingProfile for the failsafe current: stack level 0, no end. In W it counts one phase:
    /// whatever car is plugged when it takes over, no phase gets more than the failsafe current.
    public func failsafe(amperes: Int, phases: Int?, wall: Date) -> JSONValue {
        request(id: Self.failsafeProfileId, level: 0, limit: limit(amperes: amperes, powerPhases: 1), phases: phases, validTo: nil, wall: wall)
    }

    /// SetChargingProfile for the dynamic setpoint, valid until `wall` + `validity`; in W it counts
    /// `powerPhases`, the phases the car really uses (one until it is seen charging).
    public func dynamic(amperes: Int, phases: Int?, powerPhases: Int, wall: Date) -> JSONValue {
        request(id: Self.dynamicProfileId, level: dynamicLevel, limit: limit(amperes: amperes, powerPhases: powerPhases), phases: phases,
                validTo: wall.addingTimeInterval(validity), wall: wall)
    }

    /// The limit in the profile's unit for `amperes` on each of `powerPhases` phases.
    public func limit(amperes: Int, powerPhases: Int) -> Double {
        unit == .amperes ? Double(amperes) : Double(amperes) * voltage * Double(min(3, max(1, powerPhases)))
    }

    private func request(id: Int, level: Int, limit: Double, phases: Int?, validTo: Date?, wall: Date) -> JSONValue {
        var period: [String: JSONValue] = ["startPeriod": 0, "limit": .number(limit)]
        if let phases { period["numberPhases"] = .number(Double(phases)) }
        // Absolute, starting a little in the past: active at once even if the charger's clock lags
        let schedule: JSONValue = ["chargingRateUnit": .string(unit.rawValue), "chargingSchedulePeriod": [.object(period)],
                                   "startSchedule": .string(OCPPTime.format(wall.addingTimeInterval(-60)))]
        var profile: [String: JSONValue] = [
            "chargingProfileId": .number(Double(id)), "stackLevel": .number(Double(level)),
            "chargingProfilePurpose": .string(purpose.ocppName), "chargingProfileKind": "Absolute",
            "chargingSchedule": schedule,
        ]
        if let validTo { profile["validTo"] = .string(OCPPTime.format(validTo)) }
        return ["connectorId": .number(Double(purpose == .chargePointMax ? 0 : connector)), "csChargingProfiles": .object(profile)]
    }
}
