/// Chooses when a charger charges: the cheapest (or cleanest) energy in [now, departure) that meets
/// its goal, within its caps, PV surplus first. Pure; time is a parameter (Unix seconds).
///
/// Why greedy is optimal: each slot i offers energy 0 ≤ eᵢ ≤ capᵢ at a cost that is piecewise
/// linear and convex in eᵢ — the PV surplus part at min(0, priceᵢ), then the rest at priceᵢ. The
/// problem "minimise Σ costᵢ(eᵢ) subject to Σ eᵢ = E" is then a fractional knapsack over the
/// segments: exchanging any energy from a dearer segment to a cheaper one with room never raises
/// the cost, so filling the segments cheapest first reaches the optimum (and convexity means a
/// slot's dearer segment is never filled before its cheaper one). `ChargePlannerProperties` checks
/// this against a brute-force search over small discretised cases. Slots without a known price
/// come after every known one, earliest first.
public enum ChargePlanner {
    /// One charger's plan. With no price series every slot is unknown, so it charges as early as it can.
    public static func plan(_ request: ChargePlanRequest, prices: PriceSeries?, now: Double) -> ChargePlan {
        let needed = request.goal.neededKWh
        let amperes = request.capAmperes
        let capW = Double(amperes * request.phases) * request.voltage
        var slots = window(request, prices: prices, now: now, capW: capW)
        let capacity = slots.reduce(0) { $0 + $1.slot.capKWh }
        let reachable = capacity >= needed - 1e-6
        var remaining = reachable ? needed : capacity

        // segments: (slot, free?) ranked by (unknown?, key, start)
        var segments: [Segment] = []
        segments.reserveCapacity(slots.count * 2)
        for (index, entry) in slots.enumerated() where entry.slot.capKWh > 0 {
            let slot = entry.slot
            let free = min(entry.pvKWh, slot.capKWh)
            let freePrice = slot.price.map { min(0, $0) } ?? 0
            if free > 0 { segments.append(Segment(slot: index, free: true, kWh: free, unknown: false, key: rankKey(request, price: freePrice, co2: 0), start: slot.start)) }
            if slot.capKWh - free > 0 {
                segments.append(Segment(slot: index, free: false, kWh: slot.capKWh - free, unknown: slot.price == nil,
                                        key: rankKey(request, price: slot.price ?? 0, co2: slot.co2), start: slot.start))
            }
        }
        segments.sort()
        for segment in segments where remaining > PlanningTolerance.kWh {
            let take = min(segment.kWh, remaining)
            slots[segment.slot].slot.energyKWh += take
            if segment.free { slots[segment.slot].slot.pvKWh += take }
            remaining -= take
        }
        let volts = Double(request.phases) * request.voltage
        let result = slots.map { entry in
            var slot = entry.slot
            let hours = (slot.end - slot.start) / 3600
            if slot.energyKWh > PlanningTolerance.kWh, hours > 0 {
                let current = slot.energyKWh * 1000 / hours / volts
                slot.amperes = min(amperes, max(request.minCurrent, Int((current - 1e-6).rounded(.up))))
            } else {
                slot.energyKWh = 0
                slot.pvKWh = 0
            }
            return slot
        }
        return ChargePlan(slots: result, neededKWh: needed, departure: request.departure, reachable: reachable)
    }

    /// Every charger planned on its own caps. The site's limits are not shared out here: the load
    /// manager still enforces them at run time, and a plan is only ever one more cap.
    public static func plan(_ requests: [ChargePlanRequest], prices: PriceSeries?, now: Double) -> [ChargePlan] {
        requests.map { plan($0, prices: prices, now: now) }
    }

    struct Entry {
        var slot: ChargePlan.Slot
        var pvKWh: Double
    }

    /// The slots of [now, departure) on the series' grid (extended with unknown prices before and
    /// after it), the first and last cut to the window.
    static func window(_ request: ChargePlanRequest, prices: PriceSeries?, now: Double, capW: Double) -> [Entry] {
        guard request.departure > now, now.isFinite, request.departure.isFinite else { return [] }
        let length = prices?.slotSeconds ?? 900
        let origin = prices?.start ?? (now / length).rounded(.down) * length
        let first = Int(((now - origin) / length).rounded(.down))
        let last = Int(((request.departure - origin) / length).rounded(.up)) - 1
        guard last >= first else { return [] }
        var entries: [Entry] = []
        entries.reserveCapacity(last - first + 1)
        for index in first...last {
            let slotStart = origin + Double(index) * length
            let start = max(now, slotStart), end = min(request.departure, slotStart + length)
            guard end > start else { continue }
            let hours = (end - start) / 3600
            let source = prices.flatMap { index >= 0 && index < $0.slots.count ? $0.slots[index] : nil }
            let pvW = index >= 0 && index < request.pvSurplusW.count ? max(0, request.pvSurplusW[index]) : 0
            let slot = ChargePlan.Slot(start: start, end: end, price: source?.price, co2: source?.co2,
                                       capKWh: capW * hours / 1000, energyKWh: 0, pvKWh: 0, amperes: 0)
            entries.append(Entry(slot: slot, pvKWh: pvW.isFinite ? pvW * hours / 1000 : 0))
        }
        return entries
    }

    static func rankKey(_ request: ChargePlanRequest, price: Double, co2: Double?) -> (Double, Double) {
        switch request.objective {
        case .cost: (price, 0)
        case .co2: (co2 ?? .infinity, price)
        }
    }

    struct Segment: Comparable {
        var slot: Int
        var free: Bool
        var kWh: Double
        var unknown: Bool
        var key: (Double, Double)
        var start: Double

        static func < (a: Segment, b: Segment) -> Bool {
            if a.unknown != b.unknown { return !a.unknown }
            if a.key != b.key { return a.key < b.key }
            if a.start != b.start { return a.start < b.start }
            return a.free && !b.free
        }

        static func == (a: Segment, b: Segment) -> Bool {
            a.unknown == b.unknown && a.key == b.key && a.start == b.start && a.free == b.free
        }
    }
}
