/// The fixed limits of one charger, validated by the configuration.
public struct ChargerLimits: Sendable, Equatable {
    /// Minimum charging current (IEC 61851: 6 A; ZE Ready 8 A single-phase, 13/14 A three-phase).
    public var minCurrent: Int
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

    /// Whether the value is acceptable as a request: 0 (pause) or min…ceiling (the cable included), so
    /// a register never reads back a current the charger will not get.
    public func acceptsRequest(_ amperes: Int) -> Bool {
        amperes == 0 || (minCurrent...ceiling).contains(amperes)
    }
}
