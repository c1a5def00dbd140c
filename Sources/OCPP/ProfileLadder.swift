/// A way of giving a charge point its current limit, in the bridge's and MQTT's words.
public enum ProfileWay: String, Sendable, CaseIterable {
    /// SetChargingProfile TxDefaultProfile on the connector (EVSE).
    case txDefault = "tx_default"
    /// SetChargingProfile ChargePointMaxProfile (2.0.1: ChargingStationMaxProfile) on connector 0.
    case chargePointMax = "charge_point_max"
    /// SetChargingProfile TxProfile on the running transaction (nothing to send between transactions).
    case txProfile = "tx_profile"
    /// 1.6 only: ChangeConfiguration of the limit key the installer names (`ocpp.limit_key`).
    case configuration
    /// It refused every way: not steerable, its failsafe is by availability.
    case none
}

/// The fallback ladder: the ways to limit a charge point, tried in order until one is accepted
/// (docs/OCPP.md, "The fallback ladder"). A refusal — a Rejected answer or a CALLERROR saying the
/// charge point does not do it — moves to the next rung, also from a rung that worked before; a
/// timeout or a transient error does not. The last accepted way is `known` (kept across
/// connections, and restarts where stored); a new connection starts there, or from the top when
/// nothing was accepted. Pure.
public struct ProfileLadder: Sendable, Equatable {
    /// The rungs in the order tried.
    public let rungs: [ProfileWay]
    /// The way in use now (`.none`: every rung refused).
    public private(set) var way: ProfileWay
    /// The way last accepted.
    public private(set) var known: ProfileWay?

    /// `first`: the configured purpose goes first; `limitKey`: whether a configuration rung exists
    /// (1.6 only); `remembered`: the way that worked before (from storage).
    public init(first: ProfileWay, limitKey: Bool, version: OCPPVersion, remembered: ProfileWay? = nil) {
        var rungs = [first]
        for way in [ProfileWay.txDefault, .chargePointMax, .txProfile] where way != first { rungs.append(way) }
        if limitKey, version == .v16 { rungs.append(.configuration) }
        self.rungs = rungs
        known = remembered.flatMap { rungs.contains($0) ? $0 : nil }
        way = known ?? rungs[0]
    }

    public var steerable: Bool { way != .none }

    /// Whether an answer refuses the way (rather than failing for the moment).
    public static func refuses(_ answer: Result<JSONValue, OCPPFailure>) -> Bool {
        switch answer {
        case .success(let payload):
            // SetChargingProfile: Accepted / Rejected; ChangeConfiguration also NotSupported, and
            // RebootRequired (the value would only apply after a restart: no use for a live limit)
            return (payload["status"]?.string).map { $0 != "Accepted" } ?? false
        case .failure(let failure):
            let refusing: Set<OCPPErrorCode> = [.notSupported, .notImplemented, .propertyConstraintViolation, .occurenceConstraintViolation,
                                                .typeConstraintViolation, .formationViolation, .protocolError]
            return refusing.contains(failure.code)
        }
    }

    /// The charge point answered a limit sent the `way` it names; true when the way in use changed.
    /// An answer to a way no longer in use (sent before a change) changes nothing.
    @discardableResult
    public mutating func answered(_ sent: ProfileWay, refused: Bool) -> Bool {
        guard sent == way else { return false }
        guard refused else {
            known = way
            return false
        }
        if known == way { known = nil }
        let index = rungs.firstIndex(of: way) ?? rungs.count
        way = index + 1 < rungs.count ? rungs[index + 1] : .none
        return true
    }

    /// A new connection: from the known way, or from the top (a charge point that refused every way
    /// may have new firmware).
    public mutating func restart() { way = known ?? rungs[0] }
}
