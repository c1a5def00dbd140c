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
    /// Off-peak as the utility's meter says (Vestel EVC08 §16.2: peak/off-peak driven by the TIC)
    /// rather than by the clock; nil: the clock windows.
    public var tariffSignal: TariffSignal?
    public init() {}

    /// The tariff a smart meter says is counting now (Linky TIC `PTEC`/`NTARF`, DSMR `96.14.0`)
    /// decides; the windows stand in while it is not known (not read yet, meter lost).
    public struct TariffSignal: Sendable, Equatable {
        public var meter: String
        /// Tariff indexes that are off-peak. TIC: HC = 1, HP = 2; Tempo blue/white/red HC = 1/3/5.
        public var offPeakTariffs: Set<Int>
        public static let ticOffPeak: Set<Int> = [1, 3, 5]
        public init(meter: String, offPeakTariffs: Set<Int> = ticOffPeak) {
            self.meter = meter
            self.offPeakTariffs = offPeakTariffs
        }
    }

    public func isOffPeak(_ time: LocalTime, tariff: Double? = nil) -> Bool {
        if let signal = tariffSignal, let tariff, tariff.isFinite { return signal.offPeakTariffs.contains(Int(tariff)) }
        return (weekends && time.isWeekend) || windows.contains { $0.contains(minute: time.minuteOfDay) }
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

    /// - Parameter random: draws a delay in [0, `randomDelayMax`) when one starts (and only then).
    /// - Parameter tariff: the tariff the site's meter says is counting (nil: not known).
    public mutating func hold(forced: Bool, time: LocalTime, now: Seconds, settings: OffPeakSettings, tariff: Double? = nil,
                              random: inout some RandomNumberGenerator) -> Hold {
        if forced { return .none }
        let offPeak = settings.isOffPeak(time, tariff: tariff)
        if offPeak {
            stopAt = nil
            continuing = false
            if startAllowedAt == nil { startAllowedAt = now + Self.delay(settings, &random) }
            let start = startAllowedAt!
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
        if stopAt == nil { stopAt = now + Self.delay(settings, &random) }
        let stop = stopAt!
        if now < stop { return .none }
        startAllowedAt = nil      // a new delay is drawn when the next off-peak period starts
        return .waitingForOffPeak
    }

    static func delay(_ settings: OffPeakSettings, _ random: inout some RandomNumberGenerator) -> Seconds {
        settings.randomDelayMax > 0 ? Double.random(in: 0..<settings.randomDelayMax, using: &random) : 0
    }
}
