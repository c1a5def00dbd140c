extension LoadManager {
    /// The per-phase view of each zone (Circontrol DLM §7.3.2, §7.4.2) and who pauses or resumes
    /// next, from the allocation just made.
    func addPhaseReports(_ reports: inout [ZoneReport], _ participants: [Participant], _ amounts: [Int], loads: [[Int]], base: [[Double]]) {
        for zone in reports.indices {
            var phases = (0..<3).map { phase in
                ZoneReport.PhaseReport(plugs: 0, charging: 0, paused: 0, shared: reports[zone].allocated[phase],
                                       buildingLoad: reports[zone].mode == .dynamic ? max(0, base[zone][phase]) : nil)
            }
            var charging: [Participant] = [], paused: [Participant] = []
            for (offset, participant) in participants.enumerated() where !participant.queued && participant.maximum >= participant.minimum {
                var inZone = false
                for phase in 0..<3 where loads[offset].contains(zone * 3 + phase) {
                    inZone = true
                    phases[phase].plugs += 1
                    if amounts[offset] > 0 { phases[phase].charging += 1 } else { phases[phase].paused += 1 }
                }
                guard inZone else { continue }
                if amounts[offset] > 0 { if !participant.priority { charging.append(participant) } } else { paused.append(participant) }
            }
            let order = settings.pauseOrder
            reports[zone].phases = phases
            reports[zone].nextToPause = charging.min { Allocator.pausesBefore($0, $1, order: order) }?.id
            // those paused last resume first
            reports[zone].nextToResume = paused.max { Allocator.pausesBefore($0, $1, order: order) }?.id
        }
    }
}
