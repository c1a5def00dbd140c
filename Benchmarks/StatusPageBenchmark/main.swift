// Status page benchmark: the server-side render time and size of the status page of a
// 100-charger site with full charts (an hour of 10 s samples, a day of minutes), against the
// same page without charts (no history) in the same run.
//
// Usage: StatusPageBenchmark [chargers] [renders]   (defaults 100, 200)
import Foundation
import OperatorHTTP
import OperatorStatus
import StorageModel

let chargerCount = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100 : 100
let renders = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 200 : 200

/// A fixed-seed generator: every run draws the same site.
struct Noise {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
}

var noise = Noise()
let ids = (1...chargerCount).map { "cp\($0)" }
let chargers = ids.map { id in
    let current = 6 + (noise.next() * 10).rounded()
    return SiteStatus.Charger(id: id, name: "Bay \(id)", online: true, state: "charging", setpoint: Int(current), reason: "ems", request: 16,
                              maxCurrent: 16, currents: [current, current, current], powerW: current * 690, energyWh: 1_000_000,
                              sessionEnergyWh: 12_000, master: "192.0.2.10:50123", failsafe: false, local: false)
}
let meters = [
    SiteStatus.Meter(id: "grid", online: true, values: [("current.l1", 180), ("current.l2", 170), ("current.l3", 175), ("power.total", 120_000)], role: "grid"),
    SiteStatus.Meter(id: "pv", online: true, values: [("power.total", -40_000)], role: "pv"),
    SiteStatus.Meter(id: "battery", online: true, values: [("power.total", 5_000)], role: "battery"),
]
let health = HealthSummary(uptimeSeconds: 86_400, chargers: chargerCount, chargersOffline: [], chargersInFailsafe: [], metersOffline: [],
                           gridMeter: "online", storage: "ok", pendingWrites: 0)
let events = (0..<20).map { EventRecord(at: 1_796_292_000 + Double($0), kind: "setpoint-changed", subject: "cp\($0 + 1)", detail: "16 A → 10 A") }
var bare = SiteStatus(site: "benchmark car park", chargers: chargers, meters: meters, zones: [], inputs: [], events: events, eventsRecorded: true,
                      health: health, storageBacklog: 0)
bare.fuseLimit = [250, 250, 250]

// a day of samples every 10 s: every value moves (nothing is thinned away), the worst case for size
var history = SiteHistory(period: 10, chargerIDs: ids)
let start = 1_796_292_000.0
for step in 0..<8_640 {
    let time = start + Double(step) * 10
    let sun = Float(max(0, sin(Double(step) / 8_640 * 2 * .pi)))
    let currents = (0..<history.chargerIDs.count).map { _ in Float(6 + (noise.next() * 10).rounded()) }
    let grid = Float(150 + noise.next() * 80)
    history.record(HistorySample(time: time, gridCurrent: .init(l1: grid, l2: grid - 5, l3: grid + 5), gridW: grid * 690 - sun * 40_000,
                                 pvW: sun * 40_000, batteryW: Float(noise.next() * 10_000 - 5_000), houseW: Float(20_000 + noise.next() * 5_000),
                                 chargersW: currents.reduce(0, +) * 690, chargersCurrent: currents.reduce(0, +) / 3, chargerCurrents: currents))
}
var full = bare
full.history = history

func milliseconds(_ body: () -> Void) -> Double {
    let began = ContinuousClock.now
    body()
    let elapsed = ContinuousClock.now - began
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * 1000
}

func measure(_ status: SiteStatus, _ range: HistoryRange) -> (p50: Double, p99: Double, bytes: Int) {
    var bytes = 0
    _ = StatusPage.render(status, refreshSeconds: 5, version: "bench", range: range)   // warm up
    let times = (0..<renders).map { _ in
        milliseconds { bytes = StatusPage.render(status, refreshSeconds: 5, version: "bench", range: range).utf8.count }
    }.sorted()
    return (times[times.count / 2], times[min(times.count - 1, Int(Double(times.count) * 0.99))], bytes)
}

print("== status page, \(chargerCount) chargers (\(history.chargerIDs.count) charger series), \(renders) renders each")
print("history: \(history.hour.count) samples in the hour, \(history.day.count) minutes in the day")
let baseline = measure(bare, .hour)
func row(_ label: String, _ result: (p50: Double, p99: Double, bytes: Int)) {
    print(label.padding(toLength: 28, withPad: " ", startingAt: 0)
        + String(format: "p50 %7.2f ms  p99 %7.2f ms  %8d bytes  render %5.1f× the baseline", result.p50, result.p99, result.bytes,
                 result.p50 / baseline.p50))
}
row("without charts (baseline)", baseline)
let hour = measure(full, .hour)
row("with charts, last hour", hour)
let day = measure(full, .day)
row("with charts, last 24 h", day)
let worst = max(hour.p99, day.p99)
print(String(format: "goal ≤ 100 ms server-side: %@ (slowest p99 %.2f ms)", worst <= 100 ? "met" : "NOT met", worst))
