/// The debounced state of the site's inputs at one moment [SPEC §7].
public struct SiteInputs: Sendable, Equatable {
    public var loadShedding = false
    /// External enable: false = no charging.
    public var enabled = true
    public var downgrade = false
    /// Active digital-input reductions (indexes into `InputSettings.reductionPercent`).
    public var reductions: Set<Int> = []
    /// The tariff index the off-peak meter says is counting now (nil: not known).
    public var tariff: Double?
    /// A utility's limit on what the chargers draw together, watts (nil: none); the floor still applies.
    public var utilityLimitW: Double?
    public init() {}
}

/// A boolean input that changes only after the raw value has been stable for `debounce` seconds.
public struct DebouncedInput: Sendable, Equatable {
    public let debounce: Seconds
    public private(set) var value: Bool
    private var candidate: Bool
    private var candidateSince: Seconds

    public init(initial: Bool, debounce: Seconds, now: Seconds = 0) {
        self.debounce = debounce
        value = initial
        candidate = initial
        candidateSince = now
    }

    /// Feeds a raw reading; returns true when the debounced value changed.
    @discardableResult
    public mutating func update(_ raw: Bool, now: Seconds) -> Bool {
        if raw != candidate {
            candidate = raw
            candidateSince = now
        }
        guard candidate != value, now - candidateSince >= debounce else { return false }
        value = candidate
        return true
    }
}
