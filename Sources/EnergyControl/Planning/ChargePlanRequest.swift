/// What a charger's plan must achieve and within which limits. Times are Unix seconds.
public struct ChargePlanRequest: Sendable, Equatable {
    public enum Goal: Sendable, Equatable {
        /// This much more energy by the departure.
        case energy(kWh: Double)
        /// The session's energy reaches `kWh` by the departure; `delivered` is what it has now.
        case target(kWh: Double, delivered: Double)

        public var neededKWh: Double {
            switch self {
            case .energy(let kWh): max(0, kWh)
            case .target(let kWh, let delivered): max(0, kWh - delivered)
            }
        }
    }

    /// What the planner ranks slots by: the price, or the grid's CO₂ intensity (the price breaks ties).
    public enum Objective: String, Sendable, Equatable, CaseIterable {
        case cost, co2
    }

    public var goal: Goal
    public var departure: Double
    /// The charger's limits: the plan never asks for more than `maxCurrent`, and a slot where it
    /// may not reach `minCurrent` (under `capW`) is not used.
    public var maxCurrent: Int
    public var minCurrent: Int
    public var phases: Int
    public var voltage: Double
    /// The site's or zone's limit on this charger's power, watts (the caller's share; the load
    /// manager still enforces the site's limits at run time).
    public var capW: Double
    /// Expected PV surplus per slot of the price series (index 0 = its first slot), watts; missing
    /// slots have none. Surplus energy counts as free.
    public var pvSurplusW: [Double]
    public var objective: Objective

    public init(goal: Goal, departure: Double, maxCurrent: Int, minCurrent: Int = 6, phases: Int = 3, voltage: Double = 230,
                capW: Double = .infinity, pvSurplusW: [Double] = [], objective: Objective = .cost) {
        self.goal = goal
        self.departure = departure
        self.maxCurrent = maxCurrent
        self.minCurrent = minCurrent
        self.phases = phases
        self.voltage = voltage
        self.capW = capW
        self.pvSurplusW = pvSurplusW
        self.objective = objective
    }

    /// Whole amperes this charger may draw under both its own limit and `capW` (rounded down, so
    /// a current rounded up to meet the energy never exceeds a limit); 0 below the minimum.
    public var capAmperes: Int {
        guard phases > 0, voltage > 0, !capW.isNaN else { return 0 }
        let byCap = capW.isInfinite ? Double(maxCurrent) : (capW / (Double(phases) * voltage)).rounded(.down)
        let amperes = Int(max(0, min(Double(maxCurrent), byCap)))
        return amperes >= max(1, minCurrent) ? amperes : 0
    }
}
