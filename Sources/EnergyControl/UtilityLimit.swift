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

/// Splits a power budget among chargers: equal shares, and what one cannot use goes to the others;
/// when the shares do not reach every charger's minimum, the last ones in the list pause so the
/// others can charge. Pure; the shares never add up to more than the budget and none is above its
/// charger's maximum.
public enum PowerBudget {
    public struct Claim: Sendable, Equatable {
        /// The least it can charge at (watts) and the most it may get from everything else.
        public var minimumW: Double
        public var maximumW: Double
        public init(minimumW: Double, maximumW: Double) {
            self.minimumW = minimumW
            self.maximumW = maximumW
        }
    }

    public static func split(_ budgetW: Double, _ claims: [Claim]) -> [Double] {
        var shares = [Double](repeating: 0, count: claims.count)
        guard budgetW.isFinite, budgetW > 0 else { return shares }
        // chargers that can charge at all, in list order; the last gives way first
        var active = claims.indices.filter { claims[$0].maximumW.isFinite && claims[$0].maximumW >= claims[$0].minimumW && claims[$0].maximumW > 0 }
        while !active.isEmpty {
            let filled = waterFill(budgetW, active.map { claims[$0].maximumW })
            if zip(active, filled).allSatisfy({ claims[$0].minimumW <= $1 + 1e-9 }) {
                for (index, share) in zip(active, filled) { shares[index] = share }
                return shares
            }
            active.removeLast()
        }
        return shares
    }

    /// Equal shares capped at each maximum, the rest shared again among the others.
    static func waterFill(_ budget: Double, _ maxima: [Double]) -> [Double] {
        var shares = [Double](repeating: 0, count: maxima.count)
        var open = Array(maxima.indices).sorted { maxima[$0] < maxima[$1] }
        var left = budget
        while !open.isEmpty {
            let share = left / Double(open.count)
            let first = open[0]
            guard maxima[first] < share else {
                for index in open { shares[index] = share }
                return shares
            }
            shares[first] = maxima[first]
            left -= maxima[first]
            open.removeFirst()
        }
        return shares
    }
}
