/// Off-peak charging with a randomised delay [SPEC §6.3, EVC08 §16.1, §17].
public struct OffPeakSettings: Sendable, Equatable {
    /// Charging is allowed in these daily windows (EVC08 default 11:00–16:00 and 22:00–08:00).
    public var windows = [DailyWindow(start: 11 * 60, end: 16 * 60), DailyWindow(start: 22 * 60, end: 8 * 60)]
    /// Saturdays and Sundays are off-peak all day.
    public var weekends = false
    /// A session charging when the off-peak period ends keeps charging.
    public var continueAfterOffPeak = false
    /// Upper bound of the random delay, seconds (0…1800; 0 disables it).
    public var randomDelayMax: Seconds = 600
    public init() {}

    public func isOffPeak(_ time: LocalTime) -> Bool {
        (weekends && time.isWeekend) || windows.contains { $0.contains(minute: time.minuteOfDay) }
    }
}

/// One charger's off-peak state for the current session. Pure: time and the random draw come in.
/// - Charging starts only off-peak, after a random delay (drawn once per charging period).
/// - When off-peak ends, a charging session pauses after a fresh random delay (so a street of
///   chargers does not drop at the same second), unless it may continue.
/// - A forced charge cancels both the waiting and the delay.
public struct OffPeakGate: Sendable, Equatable {
    public enum Hold: Sendable, Equatable {
        /// Charging allowed.
        case none
        /// Peak time: waiting for the next off-peak period.
        case waitingForOffPeak
        /// Off-peak, but the random delay is running until this time.
        case randomDelay(until: Seconds)
    }

    private var startAllowedAt: Seconds?
    private var stopAt: Seconds?
    private var continuing = false

    public init() {}

    /// - Parameter draw: a uniform random number in [0, 1) used when a new delay starts.
    public mutating func hold(plugged: Bool, forced: Bool, time: LocalTime, now: Seconds, settings: OffPeakSettings,
                              draw: Double) -> Hold {
        guard plugged else { self = OffPeakGate(); return .none }
        if forced { return .none }
        let offPeak = settings.isOffPeak(time)
        let delay = settings.randomDelayMax * min(max(draw, 0), 0.999_999)
        if offPeak {
            stopAt = nil
            continuing = false
            let start = startAllowedAt ?? now + delay
            startAllowedAt = start
            return now >= start ? .none : .randomDelay(until: start)
        }
        // peak time
        if continuing { return .none }
        guard let started = startAllowedAt, now >= started else {
            startAllowedAt = nil
            return .waitingForOffPeak
        }
        // the session was charging when off-peak ended
        if settings.continueAfterOffPeak {
            continuing = true
            return .none
        }
        let stop = stopAt ?? now + delay
        stopAt = stop
        if now < stop { return .none }
        startAllowedAt = nil      // a new delay is drawn when the next off-peak period starts
        return .waitingForOffPeak
    }
}
