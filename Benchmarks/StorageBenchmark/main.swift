// Storage benchmark (issue 7): how fast sessions and events reach the SQLite database (WAL,
// synchronous = FULL, as the service runs it) when 1 000 chargers change state at once, and how
// large the database grows per 10 000 sessions.
//
// A burst is what the recorder commits after one 100 ms period in which every charger changed
// state: 1 000 session changes and 1 000 events in one transaction. The baseline, in the same run
// and on the same disk, commits every change on its own (what a recorder without batching would do).
//
// Usage: StorageBenchmark [chargers] [rounds]   (defaults 1000, 5: 5 × 1 000 sessions × 2 bursts)
import StorageModel
import Foundation
import Storage

let chargers = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1000 : 1000
let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 5 : 5
// on the project's disk (not /tmp, which may be a RAM disk where fsync costs nothing)
let folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build-bench-storage-\(getpid())")
defer { try? FileManager.default.removeItem(at: folder) }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The changes of one burst: every charger plugs in (round start) or leaves (round end), plus its event.
func burst(round: Int, plugging: Bool, time: Double) -> [StorageChange] {
    (0..<chargers).flatMap { index -> [StorageChange] in
        let charger = "cp\(index)"
        let start = time - 3600
        let session = plugging
            ? SessionRecord(charger: charger, startedAt: time, idTag: String(format: "04%08X", index * 7919 + round), updatedAt: time)
            : SessionRecord(charger: charger, startedAt: start, endedAt: time, energyWh: 11_000 + Double(index % 97), idTag: String(format: "04%08X", index * 7919 + round),
                            maxCurrent: 16, periodEnergy: ["peak": 6_000, "off-peak": 5_000 + Double(index % 97)], updatedAt: time, endReason: "unplugged")
        let event = EventRecord(at: time, kind: plugging ? "charger-online" : "master-disconnected", subject: charger, detail: "burst \(round)")
        return [plugging ? .open(session) : .update(session), .event(event)]
    }
}

func run(label: String, batched: Bool, rounds: Int) throws -> (sessionsPerSecond: Double, eventsPerSecond: Double, database: ChargeDatabase) {
    let path = folder.appendingPathComponent("\(label).sqlite").path
    let database = try ChargeDatabase(path: path)
    var elapsed = 0.0
    for round in 0..<rounds {
        let time = 1_800_000_000 + Double(round) * 7200
        for plugging in [true, false] {
            let changes = burst(round: round, plugging: plugging, time: plugging ? time : time + 3600)
            elapsed += try seconds {
                if batched { try database.apply(changes) } else { for change in changes { try database.apply([change]) } }
            }
        }
    }
    // each round: every charger's session opened and closed (two session writes), one event per write
    let sessions = Double(rounds * chargers * 2), events = Double(rounds * chargers * 2)
    return (sessions / elapsed, events / elapsed, database)
}

print("== \(chargers) chargers changing state at once, WAL + synchronous FULL")
let baseline = try run(label: "per-change", batched: false, rounds: 1)
let batched = try run(label: "batched", batched: true, rounds: rounds)
print(String(format: "batched (one transaction per burst): %8.0f session writes/s  %8.0f events/s", batched.sessionsPerSecond, batched.eventsPerSecond))
print(String(format: "baseline (one transaction per change): %6.0f session writes/s  %8.0f events/s", baseline.sessionsPerSecond, baseline.eventsPerSecond))
print(String(format: "batched / baseline: %.1f×", batched.sessionsPerSecond / baseline.sessionsPerSecond))
print(String(format: "a burst of %d chargers (%d session writes + %d events) is on disk in %.1f ms", chargers, chargers, chargers,
             2 * Double(chargers) / batched.sessionsPerSecond * 1000))

print("== database size")
let sizing = try ChargeDatabase(path: folder.appendingPathComponent("size.sqlite").path)
let target = 10_000
var written = 0, round = 0
while written < target {
    let time = 1_800_000_000 + Double(round) * 7200
    try sizing.apply(burst(round: round, plugging: true, time: time))
    try sizing.apply(burst(round: round, plugging: false, time: time + 3600))
    written += chargers
    round += 1
}
try sizing.checkpoint()
let size = (try FileManager.default.attributesOfItem(atPath: sizing.path)[.size] as? NSNumber)?.doubleValue ?? 0
let sessions = try sizing.count(of: "session"), events = try sizing.count(of: "event")
print(String(format: "%d sessions (2 tariff periods each) + %d events: %.2f MB, %.0f bytes per session with its 2 events; %.2f MB per 10 000 sessions",
             sessions, events, size / 1e6, size / Double(sessions), size / Double(sessions) * 10_000 / 1e6))
