import Testing
@testable import EnergyControl

/// Price series validation and the planner's decisions on hand-made cases [issue: dynamic prices
/// and a plan]. Times are Unix seconds from an arbitrary midnight.
@Suite("Charge planner")
struct ChargePlannerTests {
    static let midnight = 1_796_000_000.0 - 1_796_000_000.0.truncatingRemainder(dividingBy: 86_400)

    static func hourly(_ prices: [Double], co2: [Double]? = nil) -> PriceSeries {
        try! PriceSeries(slotMinutes: 60, entries: prices.enumerated().map { index, price in
            PriceEntry(start: midnight + Double(index) * 3600, price: price, co2: co2?[index])
        })
    }

    /// 1 phase at 1000 V: 1 A for an hour is 1 kWh, so the figures read as kWh.
    static func request(_ kWh: Double, hours: Double, max: Int = 10, min: Int = 1, pv: [Double] = [],
                        objective: ChargePlanRequest.Objective = .cost) -> ChargePlanRequest {
        ChargePlanRequest(goal: .energy(kWh: kWh), departure: midnight + hours * 3600, maxCurrent: max, minCurrent: min,
                          phases: 1, voltage: 1000, pvSurplusW: pv, objective: objective)
    }

    static func problem(_ minutes: Int, _ entries: [PriceEntry]) -> PriceSeriesProblem? {
        do { _ = try PriceSeries(slotMinutes: minutes, entries: entries); return nil } catch { return error }
    }

    @Test func everyProblemOfASeriesHasItsOwnError() {
        let t = Self.midnight
        #expect(Self.problem(60, []) == .empty)
        #expect(Self.problem(30, [PriceEntry(start: t, price: 1)]) == .slotMinutes(30))
        #expect(Self.problem(15, [PriceEntry(start: t, minutes: 60, price: 1)]) == .duration(index: 0, minutes: 60, expected: 15))
        #expect(Self.problem(60, [PriceEntry(start: t, price: .nan)]) == .notFinite(index: 0, field: "price"))
        #expect(Self.problem(60, [PriceEntry(start: t, price: 1, co2: -3)]) == .notFinite(index: 0, field: "co2"))
        #expect(Self.problem(60, [PriceEntry(start: t + 3600, price: 1), PriceEntry(start: t, price: 1)]) == .notSorted(index: 1))
        #expect(Self.problem(60, [PriceEntry(start: t, price: 1), PriceEntry(start: t, price: 2)]) == .overlap(index: 1))
        #expect(Self.problem(60, [PriceEntry(start: t, price: 1), PriceEntry(start: t + 1800, price: 2)]) == .overlap(index: 1))
        #expect(Self.problem(15, [PriceEntry(start: t, price: 1), PriceEntry(start: t + 1000, price: 2)]) == .misaligned(index: 1))
        #expect(Self.problem(60, (0..<(7 * 24 + 1)).map { PriceEntry(start: t + Double($0) * 3600, price: 1) }) == .tooLong(days: 7 + 1.0 / 24))
        #expect(Self.problem(60, (0..<(7 * 24)).map { PriceEntry(start: t + Double($0) * 3600, price: 1) }) == nil)
        #expect(PriceSeriesProblem.overlap(index: 1).description.contains("entry 1"))
    }

    @Test func aGapBecomesSlotsOfUnknownPrice() throws {
        let series = try PriceSeries(slotMinutes: 15, entries: [PriceEntry(start: Self.midnight, price: 0.3),
                                                                PriceEntry(start: Self.midnight + 2700, price: 0.2)])
        #expect(series.slots.map(\.price) == [0.3, nil, nil, 0.2])
        #expect(series.end == Self.midnight + 3600)
        #expect(series.slot(at: Self.midnight + 1000)?.price == nil)
        #expect(series.slot(at: Self.midnight + 3600) == nil)
    }

    @Test func theCheapestSlotsMeetTheEnergy() {
        let plan = ChargePlanner.plan(Self.request(15, hours: 4), prices: Self.hourly([0.30, 0.10, 0.20, 0.05]), now: Self.midnight)
        #expect(plan.reachable)
        #expect(plan.slots.map(\.energyKWh) == [0, 5, 0, 10])
        #expect(abs(plan.expectedCost - (0.5 + 0.5)) < 1e-9)
        #expect(plan.current(at: Self.midnight + 10) == 0)   // waits for the cheap hour
        #expect(plan.current(at: Self.midnight + 3600) == 5)
        #expect(plan.current(at: Self.midnight + 3 * 3600 + 100) == 10)
        #expect(plan.current(at: Self.midnight + 4 * 3600) == 0)   // departure
    }

    @Test func theCurrentSlotCountsOnlyFromNow() {
        // now is half-way through the cheap first hour: it holds 5 kWh, not 10
        let plan = ChargePlanner.plan(Self.request(8, hours: 3), prices: Self.hourly([0.05, 0.20, 0.30]), now: Self.midnight + 1800)
        #expect(plan.slots.first?.start == Self.midnight + 1800)
        #expect(plan.slots.map(\.capKWh) == [5, 10, 10])
        #expect(plan.slots.map(\.energyKWh) == [5, 3, 0])
        #expect(plan.current(at: Self.midnight + 100) == 0)   // before now
        #expect(plan.current(at: Self.midnight + 2000) == 10)
    }

    @Test func aPartialSlotRoundsItsCurrentUpToWholeAmperesAndTheMinimum() {
        let plan = ChargePlanner.plan(Self.request(12.4, hours: 2, max: 10, min: 6), prices: Self.hourly([0.1, 0.2]), now: Self.midnight)
        #expect(plan.slots.map(\.amperes) == [10, 6])   // 2.4 kWh → 2.4 A → the minimum, 6 A
        let three = ChargePlanner.plan(Self.request(16.2, hours: 2, max: 10, min: 6), prices: Self.hourly([0.1, 0.2]), now: Self.midnight)
        #expect(three.slots.map(\.amperes) == [10, 7])   // 6.2 A → 7 A
    }

    @Test func pvSurplusIsUsedFirst() {
        // the dear first hour has 4 kWh of surplus: free, so used before the cheap grid hour
        let plan = ChargePlanner.plan(Self.request(6, hours: 2, pv: [4000, 0]), prices: Self.hourly([0.40, 0.10]), now: Self.midnight)
        #expect(plan.slots.map(\.energyKWh) == [4, 2])
        #expect(plan.slots[0].pvKWh == 4)
        #expect(abs(plan.expectedCost - 0.2) < 1e-9)
    }

    @Test func co2RanksByIntensityAndPriceBreaksTies() {
        let prices = Self.hourly([0.10, 0.30, 0.20], co2: [400, 100, 100])
        let plan = ChargePlanner.plan(Self.request(10, hours: 3, objective: .co2), prices: prices, now: Self.midnight)
        #expect(plan.slots.map(\.energyKWh) == [0, 0, 10])
        let cost = ChargePlanner.plan(Self.request(10, hours: 3), prices: prices, now: Self.midnight)
        #expect(cost.slots.map(\.energyKWh) == [10, 0, 0])
    }

    @Test func unknownPricesAreUsedOnlyWhenNeeded() throws {
        let prices = try PriceSeries(slotMinutes: 60, entries: [PriceEntry(start: Self.midnight, price: 0.5),
                                                               PriceEntry(start: Self.midnight + 7200, price: 0.6)])
        // the series ends after 3 h; the departure is after 4 h: the 4th hour is unknown too
        let small = ChargePlanner.plan(Self.request(15, hours: 4), prices: prices, now: Self.midnight)
        #expect(small.slots.map(\.energyKWh) == [10, 0, 5, 0])
        let large = ChargePlanner.plan(Self.request(25, hours: 4), prices: prices, now: Self.midnight)
        #expect(large.slots.map(\.energyKWh) == [10, 5, 10, 0])
        #expect(large.unknownPriceKWh == 5)
        #expect(abs(large.expectedCost - 11) < 1e-9)
    }

    @Test func anUnreachableTargetChargesAtTheCapEverywhereAndSaysSo() {
        let plan = ChargePlanner.plan(Self.request(50, hours: 3, max: 10), prices: Self.hourly([0.3, 0.1, 0.2]), now: Self.midnight)
        #expect(!plan.reachable)
        #expect(plan.slots.map(\.amperes) == [10, 10, 10])
        #expect(plan.plannedKWh == 30)
    }

    @Test func aSessionTargetNeedsOnlyWhatIsMissing() {
        var request = Self.request(0, hours: 2)
        request.goal = .target(kWh: 20, delivered: 14)
        let plan = ChargePlanner.plan(request, prices: Self.hourly([0.2, 0.1]), now: Self.midnight)
        #expect(plan.neededKWh == 6)
        #expect(plan.slots.map(\.energyKWh) == [0, 6])
        request.goal = .target(kWh: 20, delivered: 25)
        #expect(ChargePlanner.plan(request, prices: Self.hourly([0.2, 0.1]), now: Self.midnight).chosen.isEmpty)
    }

    @Test func withoutPricesItChargesAsEarlyAsItCan() {
        let plan = ChargePlanner.plan(Self.request(15, hours: 3), prices: nil, now: Self.midnight)
        #expect(plan.reachable)
        #expect(plan.current(at: Self.midnight) == 10)
        #expect(plan.current(at: Self.midnight + 2 * 3600) == 0)
        #expect(abs(plan.unknownPriceKWh - 15) < 1e-9)
    }

    @Test func aCapBelowTheMinimumLeavesNoSlot() {
        var request = Self.request(5, hours: 2, max: 16, min: 6)
        request.capW = 5_500   // 5 A at 1000 V
        #expect(request.capAmperes == 0)
        let plan = ChargePlanner.plan(request, prices: Self.hourly([0.1, 0.2]), now: Self.midnight)
        #expect(!plan.reachable)
        #expect(plan.chosen.isEmpty)
        request.capW = 8_900
        #expect(request.capAmperes == 8)
    }

    @Test func aDepartureInThePastPlansNothing() {
        let plan = ChargePlanner.plan(Self.request(5, hours: 1), prices: Self.hourly([0.1]), now: Self.midnight + 7200)
        #expect(plan.slots.isEmpty)
        #expect(!plan.reachable)
        #expect(plan.current(at: Self.midnight + 7200) == 0)
    }
}
