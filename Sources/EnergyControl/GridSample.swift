/// One grid-meter reading, validated before it gets here.
public struct GridSample: Sendable, Equatable {
    public var time: Seconds
    /// Signed per-phase currents, amperes (positive = import).
    public var currents: [Double]
    /// Grid power, watts (positive = import, negative = export).
    public var power: Double
    /// Phase-to-neutral voltages L1…L3 as the meter reports them (0 for a phase it does not give;
    /// nil: it gives none). Only kW limits use them, each checked by `PowerLimit.voltages`.
    public var voltages: [Double]?

    public init(time: Seconds, currents: [Double], power: Double, voltages: [Double]? = nil) {
        self.time = time
        self.currents = currents
        self.power = power
        self.voltages = voltages
    }

    /// A reading the loops may use: three finite currents and a finite power of plausible size.
    public var isPlausible: Bool {
        currents.count == 3 && currents.allSatisfy { $0.isFinite && abs($0) < 10_000 } && power.isFinite && abs(power) < 10_000_000
    }
}
