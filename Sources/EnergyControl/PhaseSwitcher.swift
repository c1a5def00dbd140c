/// Automatic 1p/3p switching for chargers that can switch [SPEC §6.2]: own thresholds and delays,
/// minimum hold time and cooldown, a pause before every switch, never with nothing plugged in,
/// and a switch the charger did not perform counts as "unchanged".
public struct PhaseSwitcher: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        case steady
        case pausing(target: Int, since: Seconds)
        case switching(target: Int, since: Seconds)
    }

    public private(set) var phases: Int
    public private(set) var phase: Phase = .steady
    private var lastSwitch: Seconds = -.infinity
    private var conditionSince: Seconds?
    /// How long the charger may take to report the new phase count.
    static let confirmTimeout: Seconds = 15

    public init(phases: Int) { self.phases = phases }

    public struct Output: Sendable, Equatable {
        /// Phase count to send to the charger (nil: keep).
        public var request: Int?
        /// The charger must be paused now (before/while switching).
        public var pause: Bool
    }

    /// - Parameters:
    ///   - wanted: what the mode wants: 1 or 3 (sun modes decide from `surplusW`), nil to follow the surplus.
    ///   - reportedPhases: what the charger says it uses.
    public mutating func step(surplusW: Double?, wanted: Int?, plugged: Bool, reportedPhases: Int, minimum: Double,
                              voltage: Double, settings: PhaseSwitchSettings, now: Seconds) -> Output {
        switch phase {
        case .pausing(let target, let since):
            if !plugged { phase = .steady; return Output(request: nil, pause: false) }
            if now - since >= settings.pauseBeforeSwitch {
                phase = .switching(target: target, since: now)
                return Output(request: target, pause: true)
            }
            return Output(request: nil, pause: true)
        case .switching(let target, let since):
            if reportedPhases == target {
                phases = target
                lastSwitch = now
                phase = .steady
                return Output(request: nil, pause: false)
            }
            if now - since >= Self.confirmTimeout {    // failed: unchanged, and wait for the cooldown
                lastSwitch = now
                phase = .steady
                return Output(request: phases, pause: false)
            }
            return Output(request: target, pause: true)
        case .steady:
            break
        }
        guard settings.enabled, plugged else {
            conditionSince = nil
            return Output(request: nil, pause: false)
        }
        let threePhaseMinimum = 3 * minimum * voltage
        let target: Int?
        if let wanted {
            target = wanted != phases ? wanted : nil
        } else if let surplusW {
            if phases == 1, surplusW >= threePhaseMinimum + settings.hysteresisW { target = 3 }
            else if phases == 3, surplusW < threePhaseMinimum { target = 1 }
            else { target = nil }
        } else {
            target = nil
        }
        guard let target else {
            conditionSince = nil
            return Output(request: nil, pause: false)
        }
        let since = conditionSince ?? now
        conditionSince = since
        let delay = wanted != nil ? 0 : (target == 3 ? settings.toThreePhaseDelay : settings.toOnePhaseDelay)
        guard now - since >= delay, now - lastSwitch >= max(settings.minimumHold, settings.cooldown) else {
            return Output(request: nil, pause: false)
        }
        conditionSince = nil
        phase = .pausing(target: target, since: now)
        return Output(request: nil, pause: true)
    }
}
