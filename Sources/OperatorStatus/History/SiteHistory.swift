/// What the status page's charts draw: the last hour of samples (one every `period` seconds) and
/// the last day of per-minute aggregates. Bounded whatever the uptime: 360 samples and 1 440
/// minutes, each holding at most `chargerSeriesLimit` charger series. Pure: the service hands in
/// samples with their wall-clock time.
public struct SiteHistory: Sendable {
    public static let hourSamples = 360
    public static let dayMinutes = 1_440
    /// Chargers with a line of their own (the first ones configured); "all chargers" covers every one.
    public static let chargerSeriesLimit = 50

    /// Seconds between samples.
    public let period: Double
    /// The chargers with a series, in order (at most `chargerSeriesLimit`).
    public let chargerIDs: [String]
    /// Every charger configured (the series may be fewer).
    public let chargerCount: Int
    public private(set) var hour = HistoryRing<HistorySample>(capacity: hourSamples)
    public private(set) var day = HistoryRing<HistorySample>(capacity: dayMinutes)
    /// The minute being aggregated.
    private var minute: MinuteAggregate?

    public init(period: Double, chargerIDs: [String]) {
        self.period = period
        self.chargerIDs = Array(chargerIDs.prefix(Self.chargerSeriesLimit))
        chargerCount = chargerIDs.count
    }

    /// Adds a sample. A sample at or before the newest is dropped; a wall clock set back by more
    /// than a period empties the history (its times would no longer line up).
    public mutating func record(_ sample: HistorySample) {
        if let last = hour.last {
            if sample.time < last.time - period {
                hour.removeAll()
                day.removeAll()
                minute = nil
            } else if sample.time <= last.time {
                return
            }
        }
        hour.append(sample)
        let index = MinuteAggregate.minute(of: sample.time)
        if let current = minute, current.minute != index {
            if !current.isEmpty { day.append(current.sample) }
            minute = nil
        }
        if minute == nil { minute = MinuteAggregate(minute: index, chargers: chargerIDs.count) }
        minute?.add(sample)
    }

    /// The samples of a range, oldest first (the day ends with the minute still being aggregated).
    public func samples(_ range: HistoryRange) -> [HistorySample] {
        switch range {
        case .hour: return hour.elements
        case .day: return day.elements + (minute.map { $0.isEmpty ? [] : [$0.sample] } ?? [])
        }
    }

    /// Samples further apart than this are not joined: the service was not sampling between them.
    public func gapAfter(_ range: HistoryRange) -> Double {
        range == .hour ? 2.5 * period : 150
    }

    /// The end of the charts' time axis: the newest sample.
    public var newest: Double? { hour.last?.time }
}
