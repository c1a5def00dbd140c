/// A utility's limit on the power the chargers draw together: in Germany §14a EnWG lets the grid
/// operator dim controllable consumers (an FNN control box's W4 contact, EEBus LPC) but never below
/// a floor, and a site may take such a limit from a relay, MQTT or an energy manager.
public struct UtilitySettings: Sendable, Equatable {
    /// What the chargers may draw together while the dimming contact is closed (nil: the floor).
    public var dimmedPowerW: Double?
    /// Controllable devices behind this connection (n of the floor; nil: the chargers).
    public var controllableDevices: Int?
    /// The simultaneity factor the grid operator states for n devices (nil: the ruling's table).
    public var simultaneityFactor: Double?
    public init() {}

    /// The least the chargers keep under any utility limit (watts), for `chargers` chargers.
    public func floorW(chargers: Int) -> Double {
        Section14a.minimumPowerW(devices: controllableDevices ?? chargers, factor: simultaneityFactor)
    }
}

/// The §14a EnWG floor (BNetzA ruling BK6-22-300, Annex 1 §4.5.2): one controllable device keeps
/// 4.2 kW; n devices steered by an energy manager keep 4.2 kW + (n − 1) · GZF(n) · 4.2 kW.
public enum Section14a {
    public static let devicePowerW = 4200.0

    /// The simultaneity factor GZF(n) of the ruling's table (n = 1: 1; 2: 0.8; … ; 9 and more: 0.45).
    public static func simultaneityFactor(devices n: Int) -> Double {
        switch n {
        case ...1: 1
        case 2: 0.8
        case 3: 0.75
        case 4: 0.7
        case 5: 0.65
        case 6: 0.6
        case 7: 0.55
        case 8: 0.5
        default: 0.45
        }
    }

    public static func minimumPowerW(devices n: Int, factor: Double? = nil) -> Double {
        let n = max(1, n)
        return devicePowerW + Double(n - 1) * (factor ?? simultaneityFactor(devices: n)) * devicePowerW
    }
}

/// Splits a power budget among chargers by the site's policy, as load management shares current:
/// priority chargers first, with the whole budget, the others with what they leave. Within a group
/// the shares are equal (water-filling from each charger's minimum), and what one cannot use goes to
/// the others; when the group's minimums do not fit, the highest in pause order waits (a lower one
/// that still fits beside the others charges). So a priority charger waits only when its minimum
/// does not fit beside the priority chargers before it — never to let a lower one charge. Pure; the
/// shares never add up to more than the budget and none is above its charger's maximum.
public enum PowerBudget {
    public struct Claim: Sendable, Equatable {
        /// The least it can charge at (watts) and the most it may get from everything else.
        public var minimumW: Double
        public var maximumW: Double
        /// Served first and paused last: a priority charger or id tag (within the priority hours), a forced charge.
        public var priority: Bool
        /// Within its group, the higher pauses first (the plug id); on a tie the later in the list.
        public var pauseOrder: Int
        public init(minimumW: Double, maximumW: Double, priority: Bool = false, pauseOrder: Int = 0) {
            self.minimumW = minimumW
            self.maximumW = maximumW
            self.priority = priority
            self.pauseOrder = pauseOrder
        }

        /// It can charge at all: a finite maximum at or above its minimum.
        var canCharge: Bool { maximumW.isFinite && minimumW.isFinite && maximumW >= minimumW && maximumW > 0 }
    }

    public static func split(_ budgetW: Double, _ claims: [Claim]) -> [Double] {
        var shares = [Double](repeating: 0, count: claims.count)
        guard budgetW.isFinite, budgetW > 0 else { return shares }
        var left = budgetW
        for priority in [true, false] {
            // in pause order, the one to pause last first: each charges if its minimum fits beside those before it
            let group = claims.indices.filter { claims[$0].priority == priority && claims[$0].canCharge }
                .sorted { (claims[$0].pauseOrder, $0) < (claims[$1].pauseOrder, $1) }
            var served: [Int] = [], minimums = 0.0
            for index in group where minimums + max(0, claims[index].minimumW) <= left {
                served.append(index)
                minimums += max(0, claims[index].minimumW)
            }
            let filled = waterFill(left, floors: served.map { max(0, claims[$0].minimumW) }, caps: served.map { claims[$0].maximumW })
            for (index, share) in zip(served, filled) { shares[index] = share }
            left = max(0, left - filled.reduce(0, +))
        }
        return shares
    }

    /// Equal shares, none below its floor nor above its cap: every share is the same level clamped to
    /// [floor, cap], the level chosen so they add up to the budget (all caps when they fit). The
    /// floors must fit the budget.
    static func waterFill(_ budget: Double, floors: [Double], caps: [Double]) -> [Double] {
        func level(_ l: Double) -> [Double] { zip(floors, caps).map { min($1, max($0, l)) } }
        func total(_ l: Double) -> Double { level(l).reduce(0, +) }
        guard !caps.isEmpty else { return [] }
        if caps.reduce(0, +) <= budget { return caps }
        // the total is piecewise linear in the level, bending at the floors and caps: find the piece
        // that crosses the budget (at the lowest floor it is the floors' sum, within the budget)
        let points = Set(floors + caps).sorted()
        guard let next = points.firstIndex(where: { total($0) > budget }), next > 0 else { return floors }
        let a = points[next - 1], b = points[next]
        let rising = zip(floors, caps).filter { $0 <= a && $1 >= b }.count
        let l = rising == 0 ? a : a + (budget - total(a)) / Double(rising)
        return level(min(l, b))
    }
}
