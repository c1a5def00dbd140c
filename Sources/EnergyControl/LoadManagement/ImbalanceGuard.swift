/// Unbalanced-load prevention [SPEC §6.3, Mennekes §8]: at a zone's connection point the phase
/// currents may differ by at most a limit (Germany: 20 A). Three-phase vehicles load every phase
/// alike, so only single-phase vehicles can unbalance a zone; the guard lowers them (highest plug
/// first, to 0 below their minimum) until no phase they load is more than the limit above the
/// lowest phase. Pure; it only ever lowers amounts.
enum ImbalanceGuard {
    /// Lowers the vehicles (highest plug first in `members`) by `excess` in total, fairly: the largest
    /// come down to a common level; when that level is below someone's minimum, the highest plug
    /// pauses instead and the rest is tried again.
    static func lower(_ members: [Int], by excess: Double, _ amounts: inout [Int], _ participants: [Participant]) {
        var active = members
        var excess = excess.rounded(.up)
        while excess > 0, !active.isEmpty {
            let total = active.reduce(0) { $0 + amounts[$1] }
            let allowed = total - Int(excess)
            // the highest level with Σ min(amount, level) ≤ allowed
            var level = active.map { amounts[$0] }.max()!
            while level > 0, active.reduce(0, { $0 + min(amounts[$1], level) }) > allowed { level -= 1 }
            if let short = active.first(where: { Double(min(amounts[$0], level)) < participants[$0].minimum }) {
                excess -= Double(amounts[short])
                amounts[short] = 0
                active.removeAll { $0 == short }
                continue
            }
            for index in active { amounts[index] = min(amounts[index], level) }
            return
        }
    }

    /// - Parameters:
    ///   - base: per zone and phase, what the other loads draw (0 for static zones).
    ///   - limits: per zone, the imbalance limit (nil = off).
    static func apply(_ amounts: inout [Int], _ participants: [Participant], tree: ZoneTree, base: [[Double]], limits: [Double?]) {
        guard limits.contains(where: { $0 != nil }) else { return }
        // single-phase vehicles per guarded zone, highest plug first
        var members = [[Int]](repeating: [], count: tree.zones.count)
        for index in participants.indices {
            let phases = participants[index].rotation.gridPhases(vehiclePhases: participants[index].vehiclePhases)
            guard phases.count == 1 else { continue }
            for zone in tree.paths[participants[index].zone] where limits[zone] != nil { members[zone].append(index) }
        }
        for zone in members.indices { members[zone].sort { participants[$0].plug > participants[$1].plug } }
        let guarded = tree.zones.indices.filter { limits[$0] != nil && !members[$0].isEmpty }
        // every pass lowers at least one amount or stops, so this ends
        for _ in 0...(amounts.reduce(0, +) + participants.count) {
            var changed = false
            for zone in guarded {
                let limit = limits[zone]!
                var totals = base[zone]
                for index in participants.indices where tree.paths[participants[index].zone].contains(zone) {
                    for phase in participants[index].rotation.gridPhases(vehiclePhases: participants[index].vehiclePhases) {
                        totals[phase] += Double(amounts[index])
                    }
                }
                let lowest = totals.min()!
                for phase in 0..<3 where totals[phase] > lowest + limit + 1e-9 {
                    let onPhase = members[zone].filter {
                        amounts[$0] > 0 && participants[$0].rotation.gridPhases(vehiclePhases: participants[$0].vehiclePhases) == [phase]
                    }
                    lower(onPhase, by: totals[phase] - lowest - limit, &amounts, participants)
                    changed = changed || !onPhase.isEmpty
                }
            }
            if !changed { return }
        }
    }
}
