// Plans for 100 chargers over a day of 96 quarter-hour prices, each charger on its own caps (PV
// surplus, random goals and departures, now mid-slot). Baseline in the same run: sorting the 96
// prices 100 times, the least any planner that ranks slots must do. Prints p50/p99 per round of
// 100 plans and the ratio to the baseline. Goal: ≤ 10 ms per round. Run: Benchmarks/planner/run.sh
import EnergyControl
import Foundation

let rounds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 300
var random = SeededRandom(seed: 96)
let midnight = 1_796_000_000.0 - 1_796_000_000.0.truncatingRemainder(dividingBy: 86_400)
let entries = (0..<96).map { PriceEntry(start: midnight + Double($0) * 900, price: Double.random(in: 0.05...0.45, using: &random),
                                        co2: Double.random(in: 50...500, using: &random)) }
let prices = try! PriceSeries(slotMinutes: 15, entries: entries)
let now = midnight + 450
let requests = (0..<100).map { index in
    ChargePlanRequest(goal: .energy(kWh: Double.random(in: 5...60, using: &random)),
                      departure: midnight + Double.random(in: 8...24, using: &random) * 3600,
                      maxCurrent: [16, 32].randomElement(using: &random)!, phases: index % 4 == 0 ? 1 : 3,
                      capW: Double.random(in: 7_000...22_000, using: &random),
                      pvSurplusW: (0..<96).map { slot in (32...72).contains(slot) ? Double.random(in: 0...3000, using: &random) : 0 },
                      objective: index % 5 == 0 ? .co2 : .cost)
}

func milliseconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

var planTimes: [Double] = [], sortTimes: [Double] = []
var checksum = 0.0
for _ in 0..<rounds {
    var start = milliseconds()
    var total = 0.0
    for _ in 0..<100 { total += entries.map(\.price).sorted()[47] }
    sortTimes.append(milliseconds() - start)
    start = milliseconds()
    let plans = ChargePlanner.plan(requests, prices: prices, now: now)
    planTimes.append(milliseconds() - start)
    checksum += total + plans.reduce(0) { $0 + $1.expectedCost }
}
let (p50, p99) = (percentile(planTimes, 0.5), percentile(planTimes, 0.99))
let (b50, b99) = (percentile(sortTimes, 0.5), percentile(sortTimes, 0.99))
print(String(format: "plan 100 chargers × 96 slots (%d rounds): p50 %.3f ms, p99 %.3f ms (goal ≤ 10 ms: %@)", rounds, p50, p99, p99 <= 10 ? "met" : "NOT met"))
print(String(format: "baseline, sort 96 prices × 100: p50 %.3f ms, p99 %.3f ms", b50, b99))
print(String(format: "planner ÷ baseline: p50 %.1f×, p99 %.1f×   (checksum %.1f)", p50 / b50, p99 / b99, checksum))
