/// The power optimizer: how much current the EVs may draw per phase without tripping the main
/// fuse [SPEC §6.1]. Pure.
public enum PowerOptimizer {
    /// Current available to all EVs together on each phase, or nil when no fuse limit is set.
    /// - Parameters:
    ///   - sample: the latest valid grid sample (nil if none yet).
    ///   - evCurrents: what the EVs draw now per grid phase (used when the meter includes them).
    public static func available(sample: GridSample?, evCurrents: [Double], settings: SiteSettings, inputs: SiteInputs,
                                 now: Seconds) -> (perPhase: [Double], reason: LimitReason)? {
        let fresh = sample.flatMap { now - $0.time <= settings.fuse.meterStaleAfter && $0.isPlausible ? $0 : nil }
        // a kW limit at the meter's voltages now; without a fresh reading at the worst case (253 V)
        guard var limit = settings.fuse.limit(voltages: fresh.map { $0.voltages ?? [] }) else { return nil }
        var reason = LimitReason.fuse
        if inputs.downgrade {
            limit = zip(limit, settings.inputs.downgradeOffset).map { max(0, $0 - $1) }
        }
        let percentages = inputs.reductions.compactMap { settings.inputs.reductionPercent.indices.contains($0) ? settings.inputs.reductionPercent[$0] : nil }
        if let lowest = percentages.min() {
            limit = limit.map { $0 * lowest / 100 }
            reason = .reduction
        }
        guard let sample = fresh else {
            let headroom = settings.fuse.effectiveHeadroom
            // Mennekes: the assumed other loads stand in for the lost reading
            if let assumed = settings.fuse.assumedLoad {
                return ((0..<3).map { max(0, limit[$0] - headroom[$0] - assumed[$0]) }, .meterLost)
            }
            // the fallback never above what the (reduced) fuse leaves
            return ((0..<3).map { min(settings.fuse.fallbackCurrent, max(0, limit[$0] - headroom[$0])) }, .meterLost)
        }
        let headroom = settings.fuse.effectiveHeadroom
        let perPhase = (0..<3).map { phase -> Double in
            let others = settings.fuse.meterLocation == .including ? sample.currents[phase] - evCurrents[phase] : sample.currents[phase]
            return limit[phase] - headroom[phase] - others
        }
        return (perPhase, reason)
    }
}
