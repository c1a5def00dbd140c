/// Wall-clock time where the site is: what schedules (time of use, off-peak, priority hours) look at.
public struct LocalTime: Sendable, Equatable {
    /// 1 = Monday … 7 = Sunday (ISO 8601).
    public var weekday: Int
    /// Seconds since local midnight.
    public var secondOfDay: Double

    public init(weekday: Int, secondOfDay: Double) {
        self.weekday = weekday
        self.secondOfDay = secondOfDay
    }

    /// The local time `seconds` later (days roll over, weekdays wrap).
    public func adding(_ seconds: Double) -> LocalTime {
        let total = secondOfDay + seconds
        let days = (total / 86_400).rounded(.down)
        let weekday = ((self.weekday - 1 + Int(days)) % 7 + 7) % 7 + 1
        return LocalTime(weekday: weekday, secondOfDay: total - days * 86_400)
    }

    public var minuteOfDay: Int { Int(secondOfDay / 60) }
    public var hour: Int { Int(secondOfDay / 3600) }
    public var isWeekend: Bool { weekday >= 6 }
}

/// A daily window [start, end) in minutes; it wraps past midnight when end ≤ start (22:00–08:00).
public struct DailyWindow: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Parses "HH:MM-HH:MM" ("00:00-24:00" is the whole day); an empty window (start = end) or one
    /// starting at 24:00 is refused.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { String($0.filter { !$0.isWhitespace }) }
        guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]), start < 1440,
              start != end % 1440 || (start == 0 && end == 1440) else {
            return nil
        }
        self.init(start: start, end: end % 1440)
    }

    static func minutes(_ text: String) -> Int? {
        let hm = text.split(separator: ":")
        guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    public func contains(minute: Int) -> Bool {
        start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
    }
}

/// A set of hours of the week (hourly slots, as Circontrol's priority schedule).
public struct WeeklyHours: Sendable, Equatable {
    /// Index (weekday − 1) × 24 + hour.
    public var hours: Set<Int>
    public init(hours: Set<Int>) { self.hours = hours }
    public func contains(_ time: LocalTime) -> Bool { hours.contains((time.weekday - 1) * 24 + time.hour) }
}
