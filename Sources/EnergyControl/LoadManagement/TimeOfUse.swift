/// Time-of-use tariff periods: a reduced maximum during expensive hours [SPEC §6.3, Schneider §3.9].
public struct TimeOfUse: Sendable, Equatable {
    public struct Slot: Sendable, Equatable {
        public var window: DailyWindow
        /// 1 = Monday … 7 = Sunday.
        public var weekdays: Set<Int>
        public init(window: DailyWindow, weekdays: Set<Int>) {
            self.window = window
            self.weekdays = weekdays
        }

        /// A slot that runs past midnight (22:00–06:00 on Friday) covers the small hours of the next
        /// day (Saturday 02:00), not of its own.
        func covers(_ time: LocalTime) -> Bool {
            let minute = time.minuteOfDay
            guard window.contains(minute: minute) else { return false }
            let startedYesterday = window.start >= window.end && minute < window.end
            return weekdays.contains(startedYesterday ? (time.weekday + 5) % 7 + 1 : time.weekday)
        }
    }

    public struct Period: Sendable, Equatable {
        public var name: String
        /// Percentage of the zone maximum while the period is on (0…100).
        public var percent: Double
        public var slots: [Slot]
        /// The meter's tariff indexes during which the period is on too (Linky TIC: HC 1, HP 2, …).
        public var tariffs: Set<Int>
        public init(name: String, percent: Double, slots: [Slot], tariffs: Set<Int> = []) {
            self.name = name
            self.percent = percent
            self.slots = slots
            self.tariffs = tariffs
        }

        /// On at `time`, or while the meter counts one of its tariffs.
        func isOn(_ time: LocalTime, tariff: Double?) -> Bool {
            if let tariff, tariff.isFinite, tariffs.contains(Int(tariff)) { return true }
            return slots.contains { $0.covers(time) }
        }
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tooManyPeriods(Int), tooManySlots(Int), percent(String), noSlot(String), noWeekday(String)
        public var description: String {
            switch self {
            case .tooManyPeriods(let n): "time of use: \(n) periods, at most 5"
            case .tooManySlots(let n): "time of use: \(n) timeslots, at most 20 across all periods"
            case .percent(let name): "time of use: period \(name): percent must be 0…100"
            case .noSlot(let name): "time of use: period \(name) needs at least one timeslot or tariff"
            case .noWeekday(let name): "time of use: period \(name): a timeslot needs at least one weekday"
            }
        }
    }

    public let periods: [Period]

    public init(periods: [Period]) throws(Problem) {
        guard periods.count <= 5 else { throw .tooManyPeriods(periods.count) }
        let slots = periods.reduce(0) { $0 + $1.slots.count }
        guard slots <= 20 else { throw .tooManySlots(slots) }
        for period in periods {
            guard period.percent >= 0, period.percent <= 100 else { throw .percent(period.name) }
            guard !period.slots.isEmpty || !period.tariffs.isEmpty else { throw .noSlot(period.name) }
            guard period.slots.allSatisfy({ !$0.weekdays.isEmpty && $0.weekdays.isSubset(of: 1...7) }) else { throw .noWeekday(period.name) }
        }
        self.periods = periods
    }

    /// The tariff period in force at `time` (for billing): of the periods that are on, the one with
    /// the lowest percentage, as `percent(at:)` applies it; nil in uncovered time.
    public func period(at time: LocalTime, tariff: Double? = nil) -> String? {
        // asked on every control step: no intermediate arrays
        var best: Period?
        for period in periods where period.isOn(time, tariff: tariff) && period.percent < (best?.percent ?? .infinity) {
            best = period
        }
        return best?.name
    }

    /// The percentage of the zone maximum at `time`: the lowest among the periods that are on and
    /// not disabled for the zone; 100 when none is (uncovered time has no reduction).
    public func percent(at time: LocalTime, disabled: Set<Int> = [], tariff: Double? = nil) -> Double {
        var lowest = 100.0
        for (index, period) in periods.enumerated() where !disabled.contains(index) {
            if period.isOn(time, tariff: tariff) {
                lowest = min(lowest, period.percent)
            }
        }
        return lowest
    }
}

extension Set where Element == Int {
    func isSubset(of range: ClosedRange<Int>) -> Bool { allSatisfy { range.contains($0) } }
}
