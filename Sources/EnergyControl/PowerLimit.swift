/// A limit in kW (a contracted power, a zone's `limit_kw`, a G100 import limit) as a current per
/// phase at the voltages a meter measures now [Circontrol DLM §5.2.1]. Pure.
///
/// Balanced: every phase gets P / (V1 + V2 + V3), so Σ Vi · Ii ≤ P whatever the load on each phase
/// (an unbalanced split could give a lightly loaded phase more, but never safely without knowing
/// how the other loads spread). Rounded down to 0.1 A, so the sum stays at or below the power.
public enum PowerLimit {
    /// The voltage a phase counts at when its meter gives none, or one that cannot be right.
    public static let nominalVoltage = 230.0
    /// Voltages believed as measured. EN 50160 keeps a low-voltage grid within 230 V ± 10 %
    /// (207–253 V); a weak feeder may sag further, so down to 180 V still counts. Below that (a lost
    /// phase reads about 0 V) or above 270 V (a line-to-line 400 V mapped as a phase voltage, a wrong
    /// scale) the reading is a fault, not the grid: the nominal voltage stands in.
    public static let plausibleVoltages = 180.0...270.0
    /// Without a fresh reading (no meter, or it is lost) a kW limit is converted at the highest
    /// voltage EN 50160 allows, so it holds at any voltage the grid may have.
    public static let worstCaseVoltage = 253.0

    /// The three voltages a limit is converted at: each measured one when plausible, else nominal.
    public static func voltages(_ measured: [Double]?, nominal: Double = nominalVoltage) -> [Double] {
        (0..<3).map { phase in
            guard let measured, phase < measured.count, plausibleVoltages.contains(measured[phase]) else { return nominal }
            return measured[phase]
        }
    }

    /// The current per phase that keeps three phases within `watts` at these voltages (see `voltages`).
    public static func amperes(watts: Double, voltages measured: [Double]?, nominal: Double = nominalVoltage) -> Double {
        let sum = voltages(measured, nominal: nominal).reduce(0, +)
        guard watts.isFinite, watts > 0 else { return 0 }
        return (watts / sum * 10).rounded(.down) / 10
    }

    /// At `worstCaseVoltage` on every phase: what holds without knowing the voltage.
    public static func worstCaseAmperes(watts: Double) -> Double {
        amperes(watts: watts, voltages: [worstCaseVoltage, worstCaseVoltage, worstCaseVoltage])
    }

    /// The stricter of an ampere limit and a power limit, per phase; the ampere limit alone without a power.
    /// - Parameters:
    ///   - amperes: the ampere limit per phase (nil: none, only the power limits).
    ///   - voltages: the meter's voltages now (see `voltages`; empty: a meter that gives none, nominal);
    ///     nil: no fresh reading at all, the worst case applies.
    public static func limit(amperes limit: [Double]?, watts: Double?, voltages measured: [Double]?) -> [Double]? {
        guard let watts else { return limit }
        let perPhase = measured == nil ? worstCaseAmperes(watts: watts) : amperes(watts: watts, voltages: measured)
        return (limit ?? [.infinity, .infinity, .infinity]).map { min($0, perPhase) }
    }
}
