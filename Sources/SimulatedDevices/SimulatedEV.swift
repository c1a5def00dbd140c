import EnergyControl

/// A vehicle that plugs into a simulated charger.
public struct SimulatedEV: Sendable, Equatable {
    /// Seconds after the start of the simulation when it plugs in.
    public var arrival: Seconds
    /// Seconds after the start when it leaves (nil: when full, after a minute).
    public var departure: Seconds?
    /// Phases its on-board charger uses (1 or 3).
    public var phases: Int
    /// Highest current its on-board charger draws per phase.
    public var maxCurrent: Double
    public var capacityWh: Double
    /// State of charge, 0…1.
    public var soc: Double
    /// It stops drawing at this state of charge.
    public var targetSoC: Double
    public var idTag: String

    public init(arrival: Seconds, departure: Seconds? = nil, phases: Int = 3, maxCurrent: Double = 16, capacityWh: Double = 50_000,
                soc: Double = 0.3, targetSoC: Double = 0.9, idTag: String = "") {
        self.arrival = arrival
        self.departure = departure
        self.phases = phases
        self.maxCurrent = maxCurrent
        self.capacityWh = capacityWh
        self.soc = soc
        self.targetSoC = targetSoC
        self.idTag = idTag
    }

    /// What the battery accepts at its state of charge: full current up to 80 %, then tapering
    /// linearly to 10 % of it at the target.
    public var acceptedCurrent: Double {
        guard soc < targetSoC else { return 0 }
        let taperStart = min(0.8, targetSoC - 0.05)
        guard soc > taperStart else { return maxCurrent }
        let fraction = (targetSoC - soc) / (targetSoC - taperStart)
        return maxCurrent * (0.1 + 0.9 * fraction)
    }
}
