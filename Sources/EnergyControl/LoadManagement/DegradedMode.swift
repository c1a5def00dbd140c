/// Degraded setpoints for chargers that lose contact with the bridge [SPEC §6.3, Schneider §2.6.4].
/// Pure.
public enum DegradedMode {
    /// The current each charger falls back to when it loses contact, pushed into chargers that
    /// support a failsafe current.
    /// - Static zones: scale = zone max ÷ Σ minimum currents of the chargers below the zone (per
    ///   phase, the lowest); scale ≥ 1 → minimum × scale (whole amperes), else 0. With nested
    ///   zones every zone on the path must allow it, so the smallest scale wins.
    /// - A dynamic zone on the path (its other loads are unknown without the bridge) → 0.
    /// - Parameters:
    ///   - limits: per zone and phase, the zone maximum (the operator's, when lower).
    ///   - chargers: per charger (with its own highest current, which caps the result) its leaf zone, rotation (loaded phases) and minimum current.
    public static func setpoints(tree: ZoneTree, limits: [[Double]], dynamic: [Bool], chargers: [(zone: Int, rotation: PhaseRotation, phases: Int, minimum: Double, ceiling: Double)]) -> [Int] {
        var minimums = [[Double]](repeating: [0, 0, 0], count: tree.zones.count)
        for charger in chargers {
            for zone in tree.paths[charger.zone] {
                for phase in charger.rotation.gridPhases(vehiclePhases: charger.phases) { minimums[zone][phase] += charger.minimum }
            }
        }
        let scale = tree.zones.indices.map { zone -> Double in
            guard !dynamic[zone] else { return 0 }
            return (0..<3).compactMap { phase in
                minimums[zone][phase] > 0 ? limits[zone][phase] / minimums[zone][phase] : nil
            }.min() ?? 0
        }
        return chargers.map { charger in
            let smallest = tree.paths[charger.zone].map { scale[$0] }.min() ?? 0
            guard smallest >= 1 else { return 0 }
            // never above what the charger itself may carry
            return Int(min(charger.minimum * smallest + 1e-9, charger.ceiling).rounded(.down))
        }
    }
}
