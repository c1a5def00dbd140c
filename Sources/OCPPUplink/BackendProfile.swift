import Foundation
import OCPP

/// One charging profile the backend set (OCPP 1.6 §3.13, §7.8 ChargingProfile): read from
/// SetChargingProfile, checked, and evaluated at a time into a current limit. Pure.
public struct BackendProfile: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        case chargePointMax = "ChargePointMaxProfile", txDefault = "TxDefaultProfile", tx = "TxProfile"
    }

    public enum Kind: String, Sendable { case absolute = "Absolute", recurring = "Recurring", relative = "Relative" }

    public struct Period: Sendable, Equatable {
        public var start: Double
        public var limit: Double
        public var phases: Int?
    }

    public var connector: Int
    public var id: Int
    public var stackLevel: Int
    public var purpose: Purpose
    public var kind: Kind
    /// Daily or weekly recurrence, in seconds (Recurring only).
    public var recurrence: Double?
    public var transactionId: Int?
    public var validFrom: Date?
    public var validTo: Date?
    public var startSchedule: Date?
    public var duration: Double?
    public var watts: Bool
    public var periods: [Period]
    /// When the bridge took it (the start of a Relative profile outside a transaction).
    public var received: Date
    /// The SetChargingProfile payload as sent, kept to persist the profile.
    public var source: JSONValue

    /// Reads a SetChargingProfile payload. A malformed payload throws the OCPP-J error to answer
    /// with; a well-formed profile the bridge cannot honour throws a `Refusal` (answered Rejected).
    public static func parse(_ payload: JSONValue, received: Date) throws(OCPPFailure) -> BackendProfile {
        let request = try PayloadReader(payload)
        let connector = try request.integer("connectorId")
        guard let body = request.fields["csChargingProfiles"] else { throw OCPPFailure(.occurenceConstraintViolation, "csChargingProfiles is required") }
        let profile = try PayloadReader(body)
        let purpose = try profile.oneOf("chargingProfilePurpose", Purpose.self)
        let kind = try profile.oneOf("chargingProfileKind", Kind.self)
        guard let scheduleNode = profile.fields["chargingSchedule"] else { throw OCPPFailure(.occurenceConstraintViolation, "chargingSchedule is required") }
        let schedule = try PayloadReader(scheduleNode)
        let unit = try schedule.string("chargingRateUnit", max: 1)
        guard unit == "A" || unit == "W" else { throw OCPPFailure(.propertyConstraintViolation, "chargingRateUnit \"\(unit)\" is not A or W") }
        var periods: [Period] = []
        for item in try schedule.array("chargingSchedulePeriod") {
            let period = try PayloadReader(item)
            let start = try period.integer("startPeriod")
            guard let limit = period.fields["limit"]?.number else {
                throw OCPPFailure(period.fields["limit"] == nil ? .occurenceConstraintViolation : .typeConstraintViolation, "limit must be a number")
            }
            periods.append(Period(start: Double(start), limit: limit, phases: try period.optionalInteger("numberPhases")))
        }
        var recurrence: Double?
        if let recurrency = try profile.optionalString("recurrencyKind", max: 10) {
            switch recurrency {
            case "Daily": recurrence = 86_400
            case "Weekly": recurrence = 604_800
            default: throw OCPPFailure(.propertyConstraintViolation, "recurrencyKind \"\(recurrency)\" is not Daily or Weekly")
            }
        }
        return BackendProfile(
            connector: connector, id: try profile.integer("chargingProfileId"), stackLevel: try profile.integer("stackLevel"), purpose: purpose,
            kind: kind, recurrence: recurrence, transactionId: try profile.optionalInteger("transactionId"),
            validFrom: try profile.optionalDate("validFrom"), validTo: try profile.optionalDate("validTo"),
            startSchedule: try schedule.optionalDate("startSchedule"), duration: try schedule.optionalInteger("duration").map(Double.init),
            watts: unit == "W", periods: periods, received: received, source: payload)
    }

    /// Why the bridge cannot honour this profile (answered Rejected); nil when it can.
    public var problem: String? {
        guard connector == 0 || connector == 1 else { return "connector \(connector): a forwarded charger has connector 1 only" }
        if purpose == .chargePointMax, connector != 0 { return "a ChargePointMaxProfile is for connector 0" }
        if purpose == .tx, connector != 1 { return "a TxProfile is for connector 1" }
        guard stackLevel >= 0 else { return "stackLevel \(stackLevel) is negative" }
        guard let first = periods.first, first.start == 0 else { return "the first chargingSchedulePeriod must start at 0" }
        for (earlier, later) in zip(periods, periods.dropFirst()) where later.start <= earlier.start {
            return "chargingSchedulePeriod starts must increase"
        }
        for period in periods {
            // bounded: a limit converts to Int, and an absurd one is a bad profile, not "no limit"
            guard period.limit.isFinite, period.limit >= 0, period.limit <= (watts ? 1_000_000 : 10_000) else {
                return "limit \(period.limit) is not a current or power"
            }
            if let phases = period.phases, !(1...3).contains(phases) { return "numberPhases \(phases) is not 1–3" }
        }
        if let duration, duration <= 0 { return "duration must be positive" }
        if kind == .recurring, recurrence == nil || startSchedule == nil { return "a Recurring profile needs recurrencyKind and startSchedule" }
        if kind != .recurring, recurrence != nil { return "recurrencyKind is for Recurring profiles" }
        if kind == .absolute, startSchedule == nil { return "an Absolute profile needs startSchedule" }
        if let validFrom, let validTo, validTo <= validFrom { return "validTo is not after validFrom" }
        return nil
    }

    /// The limit in amperes per phase at `wall` (rounded down), or nil when this profile says
    /// nothing then (outside its validity, before its start, after its duration). A limit in W
    /// counts 230 V on the period's phases (or `phases`, those in use).
    public func amperes(at wall: Date, transactionStart: Date?, phases: Int) -> Int? {
        if let validFrom, wall < validFrom { return nil }
        if let validTo, wall >= validTo { return nil }
        var start: Date
        switch kind {
        case .absolute: start = startSchedule ?? received
        case .relative: start = transactionStart ?? received
        case .recurring:
            guard let anchor = startSchedule, let recurrence, wall >= anchor else { return nil }
            start = anchor.addingTimeInterval((wall.timeIntervalSince(anchor) / recurrence).rounded(.down) * recurrence)
        }
        let offset = wall.timeIntervalSince(start)
        guard offset >= 0 else { return nil }
        if let duration, offset >= duration { return nil }
        guard let period = periods.last(where: { $0.start <= offset }) else { return nil }
        guard watts else { return Int(period.limit.rounded(.down)) }
        // never fewer phases than the car draws on: a 1-phase profile must not give 3 phases its power each
        let count = Double(min(3, max(1, period.phases ?? phases, phases)))
        return Int((period.limit / (230 * count)).rounded(.down))
    }
}
