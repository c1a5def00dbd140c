/// A charger's plan: per slot of the window [now, departure) the energy to charge, its expected
/// cost and the current that delivers it. Times are Unix seconds.
public struct ChargePlan: Sendable, Equatable {
    public struct Slot: Sendable, Equatable {
        /// The part of the price slot inside [now, departure).
        public var start: Double
        public var end: Double
        /// nil: the series has no price for this slot.
        public var price: Double?
        public var co2: Double?
        /// The most this slot can take, kWh (the charger's cap over its length).
        public var capKWh: Double
        public var energyKWh: Double
        /// Of `energyKWh`, how much the expected PV surplus covers.
        public var pvKWh: Double
        /// The current that delivers `energyKWh`: rounded up to whole amperes and to the minimum,
        /// never above the cap; 0 when the slot is not used.
        public var amperes: Int

        /// Expected cost of the slot's grid energy (PV surplus free, or at a negative price the
        /// export it saves); nil when the price is unknown and grid energy is planned.
        public var cost: Double? {
            let grid = energyKWh - pvKWh
            guard let price else { return grid > PlanningTolerance.kWh ? nil : 0 }
            return min(0, price) * pvKWh + price * grid
        }
    }

    public var slots: [Slot]
    public var neededKWh: Double
    public var departure: Double
    /// False: the energy cannot be reached by the departure; the plan charges at the cap in every slot.
    public var reachable: Bool

    public init(slots: [Slot], neededKWh: Double, departure: Double, reachable: Bool) {
        self.slots = slots
        self.neededKWh = neededKWh
        self.departure = departure
        self.reachable = reachable
    }

    public var plannedKWh: Double { slots.reduce(0) { $0 + $1.energyKWh } }
    /// The expected cost of the energy whose price is known.
    public var expectedCost: Double { slots.reduce(0) { $0 + ($1.cost ?? 0) } }
    /// Energy planned in slots without a known price (counted in no cost).
    public var unknownPriceKWh: Double {
        slots.reduce(0) { $0 + ($1.price == nil ? max(0, $1.energyKWh - $1.pvKWh) : 0) }
    }
    /// The slots that charge.
    public var chosen: [Slot] { slots.filter { $0.amperes > 0 } }

    /// The current the plan allows at `time`: the slot's amperes, 0 outside the chosen slots and
    /// outside [now, departure).
    public func current(at time: Double) -> Int {
        var low = 0, high = slots.count
        while low < high {   // the first slot ending after `time`
            let middle = (low + high) / 2
            if slots[middle].end <= time { low = middle + 1 } else { high = middle }
        }
        guard low < slots.count, slots[low].start <= time else { return 0 }
        return slots[low].amperes
    }
}

enum PlanningTolerance {
    static let kWh = 1e-9
}
