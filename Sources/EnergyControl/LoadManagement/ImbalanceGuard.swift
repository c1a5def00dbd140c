/// Unbalanced-load prevention [SPEC §6.3, Mennekes §8]: at a zone's connection point the phase
/// currents may differ by at most a limit (Germany: 20 A). Three-phase vehicles load every phase
/// alike, so only single-phase vehicles can unbalance a zone; the guard lowers them (highest plug
/// first, to 0 below their minimum) until no phase they load is more than the limit above the
/// lowest phase. Pure; it only ever lowers amounts.
enum ImbalanceGuard {
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
                    var excess = totals[phase] - lowest - limit
                    for index in members[zone] where excess > 1e-9 && amounts[index] > 0
                        && participants[index].rotation.gridPhases(vehiclePhases: participants[index].vehiclePhases) == [phase] {
                        let lowered = Double(amounts[index]) - excess.rounded(.up)
                        let next = lowered >= participants[index].minimum ? Int(lowered) : 0
                        excess -= Double(amounts[index] - next)
                        amounts[index] = next
                        changed = true
                    }
                }
            }
            if !changed { return }
        }
    }
}
