/// Import and export limits at the connection point (the UK's G100 customer limitation schemes,
/// Vestel EVC08 §16.2 "G100 mode"). The import limit is held by the fuse loop like a contracted
/// power; the monitor says when the measured power stays beyond either limit, and when it is back.
public struct ConnectionLimits: Sendable, Equatable {
    public var importLimitW: Double?
    public var exportLimitW: Double?
    /// Beyond a limit this long counts as an excursion (short peaks do not).
    public var excursionAfter: Seconds = 5
    public init(importLimitW: Double? = nil, exportLimitW: Double? = nil) {
        self.importLimitW = importLimitW
        self.exportLimitW = exportLimitW
    }
}

/// Watches the grid power against the connection limits. Pure: samples and time in, changes out.
public struct ConnectionLimitMonitor: Sendable, Equatable {
    public enum Side: String, Sendable { case `import`, export }
    public enum Change: Sendable, Equatable {
        case exceeded(Side, watts: Double, limit: Double)
        case restored(Side)
    }

    public let limits: ConnectionLimits
    private var beyondSince: [Side: Seconds] = [:]
    public private(set) var exceeded: Set<Side> = []

    public init(limits: ConnectionLimits) { self.limits = limits }

    /// `power`: grid power, watts (+ import, − export), at `now`.
    public mutating func observe(power: Double, now: Seconds) -> [Change] {
        guard power.isFinite else { return [] }
        var changes: [Change] = []
        for (side, limit, measured) in [(Side.import, limits.importLimitW, power), (.export, limits.exportLimitW, -power)] {
            guard let limit else { continue }
            if measured > limit {
                let since = beyondSince[side] ?? now
                beyondSince[side] = since
                if now - since >= limits.excursionAfter, exceeded.insert(side).inserted {
                    changes.append(.exceeded(side, watts: measured, limit: limit))
                }
            } else {
                beyondSince[side] = nil
                if exceeded.remove(side) != nil { changes.append(.restored(side)) }
            }
        }
        return changes
    }
}
