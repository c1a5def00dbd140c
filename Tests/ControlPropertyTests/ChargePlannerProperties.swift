import Testing
import EnergyControl

/// The planner on random price series and requests [issue: dynamic prices and a plan]: it never
/// misses a feasible target, never plans above a cap or outside [now, departure), costs no more
/// than a brute-force optimum on small cases, and an infeasible goal charges at the cap everywhere.
@Suite("Charge planner properties")
struct ChargePlannerProperties {
    static let midnight = 1_796_000_000.0 - 1_796_000_000.0.truncatingRemainder(dividingBy: 86_400)

    /// A series of 15- or 60-minute slots with random prices (some negative), CO₂ and gaps.
    static func randomSeries(_ random: inout SeededRandom) -> PriceSeries {
        let minutes = [15, 60].randomElement(using: &random)!
        let count = Int.random(in: 1...(minutes == 15 ? 200 : 60), using: &random)
        var entries: [PriceEntry] = []
        for index in 0..<count where Int.random(in: 0..<8, using: &random) != 0 || index == 0 {
            entries.append(PriceEntry(start: midnight + Double(index * minutes * 60), price: Double.random(in: -0.05...0.6, using: &random),
                                      co2: Bool.random(using: &random) ? Double.random(in: 0...600, using: &random) : nil))
        }
        return try! PriceSeries(slotMinutes: minutes, entries: entries)
    }

    static func randomRequest(_ series: PriceSeries, now: Double, _ random: inout SeededRandom) -> ChargePlanRequest {
        let departure = now + Double.random(in: -600...(series.end - series.start + 7200), using: &random)
        let phases = [1, 3].randomElement(using: &random)!
        let pv = (0..<series.slots.count).map { _ in Bool.random(using: &random) ? Double.random(in: 0...8000, using: &random) : 0 }
        return ChargePlanRequest(goal: .energy(kWh: Double.random(in: 0...80, using: &random)), departure: departure,
                                 maxCurrent: Int.random(in: 6...32, using: &random), minCurrent: Int.random(in: 0...6, using: &random),
                                 phases: phases, capW: Bool.random(using: &random) ? .infinity : Double.random(in: 0...20_000, using: &random),
                                 pvSurplusW: pv, objective: ChargePlanRequest.Objective.allCases.randomElement(using: &random)!)
    }

    /// What [now, departure) can hold at the cap: computed from the request alone, not the plan.
    static func capacity(_ request: ChargePlanRequest, now: Double) -> Double {
        Double(request.capAmperes * request.phases) * request.voltage * max(0, request.departure - now) / 3600 / 1000
    }

    static func deliveredKWh(_ plan: ChargePlan, _ request: ChargePlanRequest) -> Double {
        plan.slots.reduce(0) { $0 + Double($1.amperes * request.phases) * request.voltage * ($1.end - $1.start) / 3_600_000 }
    }

    @Test func neverMissesAFeasibleTargetNorLeavesItsLimits() {
        var random = SeededRandom(seed: 2026_12_03)
        for _ in 0..<PropertySize.cases(3000) {
            let series = Self.randomSeries(&random)
            let now = series.start + Double.random(in: -3600...(series.end - series.start), using: &random)
            let request = Self.randomRequest(series, now: now, &random)
            let plan = ChargePlanner.plan(request, prices: series, now: now)
            let needed = request.goal.neededKWh, capacity = Self.capacity(request, now: now)
            let cap = request.capAmperes
            // (a) a feasible goal is met, by the plan and by the currents it commands
            if capacity >= needed + 1e-6 {
                #expect(plan.reachable)
                #expect(plan.plannedKWh >= needed - 1e-6)
                #expect(Self.deliveredKWh(plan, request) >= needed - 1e-6)
            }
            // (b) within the caps and the window, 0 or at least the minimum
            for slot in plan.slots {
                #expect(slot.start >= now && slot.end <= request.departure && slot.end > slot.start)
                #expect(slot.amperes == 0 || (slot.amperes <= cap && slot.amperes >= request.minCurrent && slot.amperes <= request.maxCurrent))
                #expect(slot.energyKWh <= slot.capKWh + 1e-9)
            }
            for _ in 0..<5 {
                let time = now + Double.random(in: -7200...(request.departure - now + 7200), using: &random)
                let current = plan.current(at: time)
                #expect(current <= cap)
                if time < now || time >= request.departure { #expect(current == 0) }
            }
            // unknown prices only once every known slot is full
            if plan.unknownPriceKWh > 1e-9 {
                #expect(plan.slots.allSatisfy { $0.price == nil || $0.energyKWh >= $0.capKWh - 1e-9 })
            }
            // (d) an infeasible goal: the cap in every slot, and said so
            if capacity < needed - 1e-6 {
                #expect(!plan.reachable)
                #expect(plan.slots.allSatisfy { $0.amperes == cap })
            }
        }
    }

    /// Brute force: every split of `needed` units over the slots (each 0…its cap), the same cost
    /// per slot as the planner (PV surplus at min(0, price), the rest at the price).
    static func bruteForce(needed: Int, caps: [Int], pv: [Int], prices: [Double]) -> Double {
        var best = Double.infinity
        func visit(_ slot: Int, left: Int, cost: Double) {
            if slot == caps.count {
                if left == 0 { best = min(best, cost) }
                return
            }
            for units in 0...min(caps[slot], left) {
                let free = min(units, pv[slot])
                visit(slot + 1, left: left - units, cost: cost + min(0, prices[slot]) * Double(free) + prices[slot] * Double(units - free))
            }
        }
        visit(0, left: needed, cost: 0)
        return best
    }

    @Test func costsNoMoreThanTheBruteForceOptimum() {
        var random = SeededRandom(seed: 14)
        for _ in 0..<PropertySize.cases(600) {
            // 1 phase at 1000 V, hourly slots: 1 A for an hour is one unit of 1 kWh
            let count = Int.random(in: 1...8, using: &random)
            let cap = Int.random(in: 1...4, using: &random)
            let halfFirst = cap % 2 == 0 && Bool.random(using: &random)   // now mid-way through the first hour
            let prices = (0..<count).map { _ in (Double.random(in: -0.1...0.5, using: &random) * 100).rounded() / 100 }
            let pv = (0..<count).map { _ in Int.random(in: 0...cap, using: &random) * (Bool.random(using: &random) ? 1 : 0) }
            let series = try! PriceSeries(slotMinutes: 60, entries: prices.enumerated().map { PriceEntry(start: Self.midnight + Double($0.offset) * 3600, price: $0.element) })
            var caps = [Int](repeating: cap, count: count)
            if halfFirst { caps[0] = cap / 2 }
            var pvUnits = pv
            if halfFirst { pvUnits[0] = pv[0] / 2 }
            let needed = Int.random(in: 0...caps.reduce(0, +), using: &random)
            let request = ChargePlanRequest(goal: .energy(kWh: Double(needed)), departure: Self.midnight + Double(count) * 3600,
                                            maxCurrent: cap, minCurrent: 0, phases: 1, voltage: 1000,
                                            pvSurplusW: pvUnits.enumerated().map { Double(halfFirst && $0.offset == 0 ? pv[0] / 2 * 2 : $0.element) * 1000 })
            let plan = ChargePlanner.plan(request, prices: series, now: Self.midnight + (halfFirst ? 1800 : 0))
            let optimum = Self.bruteForce(needed: needed, caps: caps, pv: pvUnits, prices: prices)
            #expect(plan.reachable)
            #expect(abs(plan.plannedKWh - Double(needed)) < 1e-6)
            #expect(plan.expectedCost <= optimum + 1e-9, "plan \(plan.expectedCost) > optimum \(optimum) for \(prices) caps \(caps) pv \(pvUnits) needed \(needed)")
        }
    }
}
