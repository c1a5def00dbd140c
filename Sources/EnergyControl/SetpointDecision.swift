/// Why a charger got the current it got.
public enum LimitReason: String, Sendable, Equatable, CaseIterable {
    case ems                 // the energy manager's request over Modbus
    case failsafe            // the EMS went silent: failsafe current
    case local               // no energy manager is expected (or none has steered yet): the failsafe current as normal
    case chargerMax = "charger-max"
    case cable
    case belowMinimum = "below-minimum"
    // The energy loops' caps.
    case fuse, sun, loadShedding = "load-shedding", enable, meterLost = "meter-lost", zone
    case reduction                 // a digital-input percentage reduction
    case phaseSwitch = "phase-switch"
    case mode                      // the charge mode is off
    case noVehicle = "no-vehicle"  // nothing plugged in: no share of the fuse is held
    case offPeak = "off-peak"      // waiting for the off-peak period
    case randomDelay = "random-delay"
    case queued                    // state B after its waiting time: leftovers only
    case lowConsumption = "low-consumption"   // held at what it draws + a margin
    case offline                   // the bridge lost contact with the charger
    case operatorLimit = "operator"  // the operator's current limit for this charger
    case disabled                  // the operator disabled this charger
    case utility                   // the utility's power limit (§14a dimming), shared among the chargers
    case plan                      // the charger's charging plan: outside its chosen slots, or its current in one
    case backend                   // the CPO backend's charging profile (uplink), or its hold at 0 A
}

/// An upper bound on a charger's current from one source, with its reason.
public struct CurrentCap: Sendable, Equatable {
    public let amperes: Double
    public let reason: LimitReason
    public init(_ amperes: Double, _ reason: LimitReason) {
        self.amperes = amperes
        self.reason = reason
    }
}

/// The current sent to a charger and the constraint that decided it.
public struct SetpointDecision: Sendable, Equatable {
    public let amperes: Int
    public let reason: LimitReason
    public init(amperes: Int, reason: LimitReason) {
        self.amperes = amperes
        self.reason = reason
    }
}

/// The seam where every loop meets: the effective setpoint is the minimum of the EMS request
/// (or failsafe current), every cap the energy loops add, and the charger's own limits; floored
/// to whole amperes; below the minimum current the charger pauses. Never above a limit.
public enum SetpointPolicy {
    /// - Parameter phases: the phases the charger charges on now (its minimum depends on them);
    ///   nil: not known, the higher minimum applies.
    public static func decide(request: Int, failsafe: Bool, limits: ChargerLimits, caps: [CurrentCap] = [], phases: Int? = nil) -> SetpointDecision {
        var best = CurrentCap(Double(request), failsafe ? .failsafe : .ems)
        func consider(_ cap: CurrentCap) {
            if !(cap.amperes >= best.amperes) { best = CurrentCap(cap.amperes.isNaN ? 0 : cap.amperes, cap.reason) }   // NaN caps count as 0
        }
        // the loops' caps, then the charger's own limits (on a tie the earlier one names the reason)
        for cap in caps { consider(cap) }
        consider(CurrentCap(Double(limits.maxCurrent), .chargerMax))
        if let cable = limits.cableMaxCurrent { consider(CurrentCap(Double(cable), .cable)) }
        let amperes = max(0, Int(best.amperes.rounded(.down)))
        if amperes == 0 { return SetpointDecision(amperes: 0, reason: best.reason) }
        if amperes < phases.map(limits.minimum(phases:)) ?? limits.highestMinimum { return SetpointDecision(amperes: 0, reason: .belowMinimum) }
        return SetpointDecision(amperes: amperes, reason: best.reason)
    }
}
