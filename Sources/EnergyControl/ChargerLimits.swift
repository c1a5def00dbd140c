/// The fixed limits of one charger, validated by the configuration.
public struct ChargerLimits: Sendable, Equatable {
    /// Minimum charging current (IEC 61851: 6 A), on one phase — and on three unless
    /// `minCurrentThreePhase` says otherwise.
    public var minCurrent: Int
    /// A different minimum while charging on three phases: ZE Ready / EV Ready (Schneider EV Charging
    /// Expert §1.1.1.1, Vestel EVC08 §16.2.1.2.2) ask 8 A single-phase and 13 or 14 A three-phase.
    public var minCurrentThreePhase: Int?
    /// Maximum current of the charger as installed.
    public var maxCurrent: Int
    /// Current rating of the charging cable, if lower.
    public var cableMaxCurrent: Int?
    /// Phases the charger is wired with (1 or 3).
    public var phases: Int
    /// Whether the charger can switch between 1 and 3 phases.
    public var canSwitchPhases: Bool

    public init(minCurrent: Int = 6, maxCurrent: Int = 32, cableMaxCurrent: Int? = nil, phases: Int = 3, canSwitchPhases: Bool = false) {
        self.minCurrent = minCurrent
        self.maxCurrent = maxCurrent
        self.cableMaxCurrent = cableMaxCurrent
        self.phases = phases
        self.canSwitchPhases = canSwitchPhases
    }

    /// The highest current this charger may ever be given.
    public var ceiling: Int { min(maxCurrent, cableMaxCurrent ?? maxCurrent) }

    /// The minimum while charging on `phases` phases.
    public func minimum(phases: Int) -> Int { phases == 3 ? minCurrentThreePhase ?? minCurrent : minCurrent }

    /// The larger minimum: what a setpoint must reach when the phases it will meet are not known
    /// (a failsafe current pushed into the charger for later).
    public var highestMinimum: Int { max(minCurrent, minCurrentThreePhase ?? minCurrent) }

    /// The smaller minimum: the least a request may name.
    public var lowestMinimum: Int { min(minCurrent, minCurrentThreePhase ?? minCurrent) }

    /// Whether the value is acceptable as a request: 0 (pause) or min…ceiling (the cable included), so
    /// a register never reads back a current the charger will not get.
    public func acceptsRequest(_ amperes: Int) -> Bool {
        amperes == 0 || (lowestMinimum...ceiling).contains(amperes)
    }
}
