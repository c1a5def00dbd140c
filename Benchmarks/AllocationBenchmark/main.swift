// Allocation time per control step for N chargers in 50 zones over 3 levels (1 site, 7 boards,
// 42 leaf zones), equal share with per-phase limits, mixed rotations and 1p/3p cars. Prints the
// median and p99 per step and the time per charger relative to the 100-charger run (linear
// growth = 1.0). Run: swift run -c release AllocationBenchmark
import EnergyControl
import Foundation

func site(chargers: Int, random: inout SeededRandom) -> (ZoneTree, [Participant], [[Double]]) {
    var zones = [ZoneTree.Zone(id: "site", limit: [Double(chargers) * 12, Double(chargers) * 12, Double(chargers) * 12])]
    for board in 0..<7 { zones.append(.init(id: "board\(board)", parent: 0, limit: zones[0].limit.map { $0 / 5 })) }
    for leaf in 0..<42 { zones.append(.init(id: "leaf\(leaf)", parent: 1 + leaf % 7, limit: zones[1].limit.map { $0 / 4 })) }
    let tree = try! ZoneTree(zones)
    let rotations: [PhaseRotation] = [.rst, .str, .trs]
    let participants = (0..<chargers).map { plug in
        Participant(id: "cp\(plug)", plug: plug, zone: 8 + plug % 42, rotation: rotations[plug % 3],
                    vehiclePhases: Int.random(in: 0..<4, using: &random) == 0 ? 1 : 3, minimum: 6,
                    maximum: Double([16, 32].randomElement(using: &random)!), arrival: Double(plug))
    }
    // dynamic zones: other loads take a random part of each limit
    let available = zones.map { zone in zone.limit.map { $0 * Double.random(in: 0.7...1, using: &random) } }
    return (tree, participants, available)
}

func measure(chargers: Int, steps: Int) -> (median: Double, p99: Double) {
    var random = SeededRandom(seed: 7)
    let (tree, participants, available) = site(chargers: chargers, random: &random)
    var times: [Double] = []
    var checksum = 0
    for step in 0..<(steps + 5) {
        let clock = ContinuousClock()
        let started = clock.now
        let shares = Allocator.allocate(participants, tree: tree, available: available, policy: .equalShare)
        let elapsed = clock.now - started
        checksum &+= shares.reduce(0, +)
        if step >= 5 { times.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6) }
    }
    if checksum == 42 { print("") }   // keep the work observable
    times.sort()
    return (times[times.count / 2], times[min(times.count - 1, Int(Double(times.count) * 0.99))])
}

print("chargers  zones  median µs/step  p99 µs/step  µs per charger  vs 100 chargers")
var baseline = 0.0
for (chargers, steps) in [(100, 400), (1_000, 200), (10_000, 20)] {
    let (median, p99) = measure(chargers: chargers, steps: steps)
    let perCharger = median / Double(chargers)
    if chargers == 100 { baseline = perCharger }
    print(String(format: "%8d  %5d  %14.1f  %11.1f  %14.3f  %14.2f×", chargers, 50, median, p99, perCharger, perCharger / baseline))
}
