/// Follow-the-sun: the cap a charger gets from the solar surplus in its mode [SPEC §6.2, EVC08 §16.2.1].
/// Stateful only for sun-only's start/stop delays.
public struct SunGate: Sendable, Equatable {
    public private(set) var charging = false
    private var since: Seconds?

    public init() {}

    /// - Parameters:
    ///   - surplusAmperes: the surplus this charger may use, per phase it uses (nil when unknown).
    /// - Returns: the cap in amperes (infinity: no sun limit) and whether the sun decided it.
    public mutating func cap(mode: ChargeMode, forced: Bool, surplusAmperes: Double?, minimum: Double,
                             settings: SunSettings, now: Seconds) -> (amperes: Double, reason: LimitReason)? {
        if forced { return nil }
        switch mode {
        case .maxHybrid, .now:
            return nil
        case .off:
            return (0, .mode)
        case .sunHybrid:
            guard let surplus = surplusAmperes else { return (minimum + settings.hybridThreshold, .meterLost) }
            return (max(surplus.rounded(.down), minimum + settings.hybridThreshold), .sun)
        case .sunOnly:
            guard let surplus = surplusAmperes else {
                charging = false
                since = nil
                return (0, .meterLost)
            }
            if charging {
                if surplus >= minimum {
                    since = nil
                    return (surplus.rounded(.down), .sun)
                }
                let below = since ?? now
                since = below
                if now - below >= settings.stopDelay {
                    charging = false
                    since = nil
                    return (0, .sun)
                }
                return (minimum, .sun)      // riding out a cloud at the minimum
            }
            if surplus >= minimum {
                let above = since ?? now
                since = above
                if now - above >= settings.startDelay {
                    charging = true
                    since = nil
                    return (surplus.rounded(.down), .sun)
                }
            } else {
                since = nil
            }
            return (0, .sun)
        }
    }
}
