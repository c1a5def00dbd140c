/// Where the grid meter sits [SPEC §6.1].
public enum MeterLocation: String, Sendable {
    /// At the main switch: the meter sees the chargers too.
    case including
    /// On the other loads only.
    case excluding
}

/// Power optimizer settings: protect the main fuse.
public struct FuseSettings: Sendable, Equatable {
    /// Current limit per phase that holds at any grid voltage, amperes: the main fuse, with a kW
    /// limit converted at `PowerLimit.worstCaseVoltage`; nil = disabled. What counts without a
    /// fresh meter reading; with one, `limit(voltages:)`.
    public var limit: [Double]?
    /// The main fuse alone (`fuse_a`), amperes; nil: none (only a kW limit, or none at all).
    public var currentLimit: [Double]?
    /// A contracted power or G100 import limit (the lower), watts; converted at every step.
    public var powerLimitW: Double?
    /// Safety margin per phase, amperes.
    public var headroom: [Double] = [0, 0, 0]
    /// Safety margin as a percentage of the fuse (0–50 %); the larger of this and `headroom` applies.
    public var headroomPercent: Double = 0
    public var meterLocation: MeterLocation = .including
    /// Current available to all EVs together per phase while the meter is lost (default 0 = stop).
    public var fallbackCurrent: Double = 0
    /// Mennekes-style fallback: while the meter is lost these other loads per phase stand in for its
    /// reading, so the EVs get fuse − headroom − assumed load. When set it replaces `fallbackCurrent`.
    public var assumedLoad: [Double]?
    /// A meter without a valid sample for this long is lost.
    public var meterStaleAfter: Seconds = 5
    /// Increases follow the grid meter's moving average over this long (0: every sample).
    public var meterAverage: Seconds = 0
    /// Resume a paused charger only when it could get minimum + this much…
    public var resumeHysteresis: Double = 1
    /// …continuously for this long.
    public var resumeDelay: Seconds = 10
    public init(limit: [Double]? = nil) {
        self.limit = limit
        currentLimit = limit
    }

    /// The main fuse per phase (`fuse_a`).
    public mutating func setFuse(_ amperes: [Double]) {
        currentLimit = amperes
        limit = PowerLimit.limit(amperes: amperes, watts: powerLimitW, voltages: nil)
    }

    /// A kW limit at the connection point beside the fuse: the lowest power holds.
    public mutating func addPowerLimit(watts: Double) {
        powerLimitW = min(powerLimitW ?? .infinity, watts)
        limit = PowerLimit.limit(amperes: currentLimit, watts: powerLimitW, voltages: nil)
    }

    /// The limit per phase in force at the grid meter's voltages now: the stricter of the fuse and
    /// the power (see `PowerLimit.limit`; nil voltages: no fresh reading, the worst case).
    public func limit(voltages: [Double]?) -> [Double]? {
        guard powerLimitW != nil else { return limit }
        return PowerLimit.limit(amperes: currentLimit, watts: powerLimitW, voltages: voltages)
    }

    /// The margin in force per phase: the larger of the amperes and the percentage of the fuse.
    public var effectiveHeadroom: [Double] {
        (0..<3).map { max(headroom[$0], (limit?[$0] ?? 0) * headroomPercent / 100) }
    }
}

/// How charging follows the sun [SPEC §6.2].
public enum ChargeMode: String, Sendable, CaseIterable {
    case sunOnly = "sun-only", sunHybrid = "sun-hybrid", maxHybrid = "max-hybrid", off, now
}

public struct SunSettings: Sendable, Equatable {
    /// Sun hybrid keeps charging at least at minimum + this (EVC08: +2 A).
    public var hybridThreshold: Double = 2
    /// Sun only: start when the surplus covers the minimum for this long…
    public var startDelay: Seconds = 30
    /// …and stop when it stays below for this long (charging at the minimum meanwhile).
    public var stopDelay: Seconds = 120
    /// With a PV meter and no grid meter: the house's consumption assumed beside the chargers, W
    /// (the surplus is PV production minus this; see `SolarSurplus`).
    public var houseBaseW: Double = 300
    /// A house battery's discharge counts as surplus (false: the car never drains the battery).
    public var carMayDischargeBattery = false
    /// The power a charging house battery absorbs goes to the car first (evcc's "prioritise car over battery").
    public var carBeforeBattery = false
    public init() {}
}

/// Automatic 1p/3p switching [SPEC §6.2, DESIGN-NOTES lesson 3].
public struct PhaseSwitchSettings: Sendable, Equatable {
    public var enabled = true
    /// Go to 3 phases when the surplus stays above 3 × min × voltage + `hysteresisW` for this long.
    public var toThreePhaseDelay: Seconds = 120
    /// Go to 1 phase when it stays below 3 × min × voltage for this long.
    public var toOnePhaseDelay: Seconds = 120
    public var hysteresisW: Double = 300
    /// Pause (0 A) this long before switching.
    public var pauseBeforeSwitch: Seconds = 10
    /// Stay in a phase mode at least this long after a switch…
    public var minimumHold: Seconds = 300
    /// …and never switch twice within this time (also after a failed switch).
    public var cooldown: Seconds = 300
    public init() {}
}

/// Utility and installer inputs [SPEC §7].
public struct InputSettings: Sendable, Equatable {
    /// Load shedding limits every charger to this (0 … limit).
    public var loadSheddingCurrent: Double = 8
    /// Downgrade reduces the fuse limit by this per phase.
    public var downgradeOffset: [Double] = [0, 0, 0]
    /// Percentages of the site maximum for up to three digital inputs.
    public var reductionPercent: [Double] = []
    public init() {}
}

/// Increases of a loop's cap are rate-limited; decreases apply at once.
public struct RampSettings: Sendable, Equatable {
    /// At most one increase per this period.
    public var increaseInterval: Seconds = 3
    /// Increases smaller than this are ignored (dead band).
    public var deadBand: Double = 1
    public init() {}
}

public struct SiteSettings: Sendable, Equatable {
    public var voltage: Double = 230
    public var fuse = FuseSettings()
    public var sun = SunSettings()
    public var phaseSwitching = PhaseSwitchSettings()
    public var inputs = InputSettings()
    public var ramp = RampSettings()
    public var utility = UtilitySettings()
    /// G100 import/export limits at the connection point (nil: none).
    public var connection: ConnectionLimits?
    public init() {}
}
