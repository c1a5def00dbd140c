/// Dynamic prices (and optionally CO₂ intensity) as a series of equal slots [issue: dynamic
/// prices and a plan]. Pure: the entries come in already decoded; times are Unix seconds.
public struct PriceEntry: Sendable, Equatable {
    /// Start of the slot, Unix seconds.
    public var start: Double
    /// Length of the slot in minutes when the source says (nil: the series' length).
    public var minutes: Int?
    /// Price per kWh in the configured currency (may be negative).
    public var price: Double
    /// Grid CO₂ intensity, g/kWh.
    public var co2: Double?
    public init(start: Double, minutes: Int? = nil, price: Double, co2: Double? = nil) {
        self.start = start
        self.minutes = minutes
        self.price = price
        self.co2 = co2
    }
}

/// One slot of a validated series; `price` is nil where the source left a gap (an unknown price,
/// which the planner uses only when nothing known is left).
public struct PriceSlot: Sendable, Equatable {
    public var start: Double
    public var price: Double?
    public var co2: Double?
    public init(start: Double, price: Double?, co2: Double? = nil) {
        self.start = start
        self.price = price
        self.co2 = co2
    }
}

public enum PriceSeriesProblem: Error, Equatable, CustomStringConvertible {
    case empty
    case slotMinutes(Int)
    case duration(index: Int, minutes: Int, expected: Int)
    case notFinite(index: Int, field: String)
    case notSorted(index: Int)
    case overlap(index: Int)
    case misaligned(index: Int)
    case tooLong(days: Double)

    public var description: String {
        switch self {
        case .empty: "prices: the series is empty"
        case .slotMinutes(let m): "prices: slot length \(m) min, must be 15 or 60"
        case .duration(let i, let m, let e): "prices: entry \(i) lasts \(m) min, the series' slots last \(e) min"
        case .notFinite(let i, let field): "prices: entry \(i): \(field) is not a finite number"
        case .notSorted(let i): "prices: entry \(i) starts before the one before it (the series must be sorted by start)"
        case .overlap(let i): "prices: entry \(i) starts before the one before it ends (overlap)"
        case .misaligned(let i): "prices: entry \(i) does not start a whole number of slots after the first"
        case .tooLong(let d): "prices: the series spans \(d) days, at most \(PriceSeries.maxDays)"
        }
    }
}

/// A validated, contiguous series: sorted, equal slots of 15 or 60 minutes, finite values, at most
/// `maxDays` long; gaps between entries become slots of unknown price.
public struct PriceSeries: Sendable, Equatable {
    public static let maxDays = 7.0
    public let slotSeconds: Double
    public let slots: [PriceSlot]

    public init(slotMinutes: Int, entries: [PriceEntry]) throws(PriceSeriesProblem) {
        guard slotMinutes == 15 || slotMinutes == 60 else { throw .slotMinutes(slotMinutes) }
        guard let first = entries.first else { throw .empty }
        let length = Double(slotMinutes) * 60
        var slots: [PriceSlot] = []
        var previousStart = -Double.infinity
        for (index, entry) in entries.enumerated() {
            guard entry.start.isFinite else { throw .notFinite(index: index, field: "start") }
            guard entry.price.isFinite else { throw .notFinite(index: index, field: "price") }
            if let co2 = entry.co2, !co2.isFinite || co2 < 0 { throw .notFinite(index: index, field: "co2") }
            if let minutes = entry.minutes, minutes != slotMinutes { throw .duration(index: index, minutes: minutes, expected: slotMinutes) }
            guard entry.start > previousStart else { throw entry.start == previousStart ? .overlap(index: index) : .notSorted(index: index) }
            if entry.start < previousStart + length { throw .overlap(index: index) }
            let offset = (entry.start - first.start) / length
            guard offset == offset.rounded() else { throw .misaligned(index: index) }
            let span = (entry.start + length - first.start) / 86_400
            guard span <= Self.maxDays else { throw .tooLong(days: span) }
            // a gap: slots of unknown price up to this entry
            while let last = slots.last, last.start + length < entry.start {
                slots.append(PriceSlot(start: last.start + length, price: nil))
            }
            slots.append(PriceSlot(start: entry.start, price: entry.price, co2: entry.co2))
            previousStart = entry.start
        }
        self.slotSeconds = length
        self.slots = slots
    }

    public var start: Double { slots[0].start }
    public var end: Double { slots[slots.count - 1].start + slotSeconds }

    /// The slot covering `time`, if the series does.
    public func slot(at time: Double) -> PriceSlot? {
        guard time >= start, time < end else { return nil }
        let index = min(slots.count - 1, Int(((time - start) / slotSeconds).rounded(.down)))
        return slots[index]
    }
}
