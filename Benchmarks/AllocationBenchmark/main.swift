// Allocation time per control step for N chargers in 50 zones over 3 levels (1 site, 7 boards,
// 42 leaf zones), equal share with per-phase limits, mixed rotations and 1p/3p cars. Prints the
// median and p99 per step and the time per charger relative to the 100-charger run (linear
// growth = 1.0), for the allocator alone and for the whole load-manager step (zone availability,
// state-B and low-consumption tracking, pause bookkeeping, imbalance guard, degraded setpoints,
// zone states). Then the whole site-controller step with a load manager, one zone, everyone
// served against a shortage (3 A per car: about half pause), with the ratios. Run: swift run -c
// release AllocationBenchmark
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

/// The same site for the load manager: the three levels as configured zones (the leaves dynamic,
/// with a meter; the boards with an imbalance limit), the chargers as the service passes them.
func managerSite(chargers: Int, random: inout SeededRandom) -> (LoadManager, [LoadChargerInput]) {
    let (tree, participants, _) = site(chargers: chargers, random: &random)
    var settings = LoadSettings()
    settings.zones = tree.zones.enumerated().map { index, zone in
        var settings = ZoneSettings(id: zone.id, parent: zone.parent.map { tree.zones[$0].id }, limit: zone.limit)
        settings.dynamic = index >= 8
        if (1...7).contains(index) { settings.imbalanceLimit = 20 }
        return settings
    }
    var manager = try! LoadManager(settings: settings, siteFuse: true)
    for zone in 8..<50 { manager.record(zone: zone, GridSample(time: 0, currents: [5, 8, 3], power: 3600)) }
    let inputs = participants.map { p in
        LoadChargerInput(id: p.id, plug: p.plug + 1, zone: p.zone, rotation: p.rotation, vehiclePhases: p.vehiclePhases, minimum: p.minimum,
                         maximum: p.maximum, currents: p.vehiclePhases == 1 ? [p.maximum, 0, 0] : [p.maximum, p.maximum, p.maximum],
                         sessionEnergyWh: Double(p.plug * 37 % 5000), failsafeTimeout: 20)
    }
    return (manager, inputs)
}

func percentiles(_ times: [Double]) -> (median: Double, p99: Double) {
    let sorted = times.sorted()
    return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))])
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.attoseconds) / 1e12 + Double(duration.components.seconds) * 1e6
}

func measureAllocator(chargers: Int, steps: Int) -> (median: Double, p99: Double) {
    var random = SeededRandom(seed: 7)
    let (tree, participants, available) = site(chargers: chargers, random: &random)
    var times: [Double] = []
    var checksum = 0
    let clock = ContinuousClock()
    for step in 0..<(steps + 5) {
        let started = clock.now
        let shares = Allocator.allocate(participants, tree: tree, available: available, policy: .equalShare)
        let elapsed = clock.now - started
        checksum &+= shares.reduce(0, +)
        if step >= 5 { times.append(microseconds(elapsed)) }
    }
    if checksum == 42 { print("") }   // keep the work observable
    return percentiles(times)
}

func measureManager(chargers: Int, steps: Int) -> (median: Double, p99: Double) {
    var random = SeededRandom(seed: 7)
    var (manager, inputs) = managerSite(chargers: chargers, random: &random)
    let site = (perPhase: [Double](repeating: Double(chargers) * 10, count: 3), reason: LimitReason.fuse)
    var times: [Double] = []
    var checksum = 0.0
    let clock = ContinuousClock()
    for step in 0..<(steps + 5) {
        let started = clock.now
        let out = manager.step(now: Double(step), time: nil, chargers: inputs, inputs: SiteInputs(), reductionPercent: [],
                               downgradeOffset: [0, 0, 0], site: site)
        let elapsed = clock.now - started
        checksum += out.reduce(0) { $0 + $1.cap.amperes }
        if step >= 5 { times.append(microseconds(elapsed)) }
    }
    if checksum == 42 { print("") }
    return percentiles(times)
}

for (name, measure) in [("allocator alone", measureAllocator), ("whole load-manager step", measureManager)] {
    print("\(name):")
    print("chargers  zones  median µs/step  p99 µs/step  µs per charger  vs 100 chargers")
    var baseline = 0.0
    for (chargers, steps) in [(100, 400), (1_000, 200), (10_000, 20)] {
        let (median, p99) = measure(chargers, steps)
        let perCharger = median / Double(chargers)
        if chargers == 100 { baseline = perCharger }
        print(String(format: "%8d  %5d  %14.1f  %11.1f  %14.3f  %14.2f×", chargers, 50, median, p99, perCharger, perCharger / baseline))
    }
}

/// The whole `SiteController.step` with a load manager: `chargers` cars drawing 32 A in one static
/// zone of `perCar` amperes per car (32: everyone served at the maximum; 3: about half pause).
func measureSite(chargers: Int, perCar: Double, steps: Int) -> (median: Double, p99: Double, paused: Int) {
    var settings = LoadSettings()
    let limit = Double(chargers) * perCar
    settings.zones = [ZoneSettings(id: "car-park", limit: [limit, limit, limit])]
    var site = SiteSettings()
    site.ramp.increaseInterval = 0
    site.fuse.resumeDelay = 0
    var control = SiteController(settings: site, load: try! LoadManager(settings: settings, siteFuse: false))
    let rotations: [PhaseRotation] = [.rst, .str, .trs]
    let cars = (0..<chargers).map { index in
        var status = ChargerStatus()
        status.currents = [32, 32, 32]
        status.cable = .vehicleLocked
        status.state = .charging
        status.sessionEnergyWh = Double(index * 37 % 5000)
        return ChargerControlInput(id: "cp\(index)", limits: ChargerLimits(minCurrent: 6, maxCurrent: 32, phases: 3), status: status,
                                   plug: index + 1, zone: 0, rotation: rotations[index % 3], failsafeTimeout: 20)
    }
    var times: [Double] = []
    var paused = 0
    let clock = ContinuousClock()
    for step in 0..<(steps + 5) {
        let started = clock.now
        let out = control.step(now: Double(step), chargers: cars, inputs: SiteInputs())
        let elapsed = clock.now - started
        paused = out.reduce(0) { $0 + (($1.cap?.amperes ?? 0) == 0 ? 1 : 0) }
        if step >= 5 { times.append(microseconds(elapsed)) }
    }
    let (median, p99) = percentiles(times)
    return (median, p99, paused)
}

print("whole site-controller step, one zone, load manager (equal share):")
print("chargers  A per car  paused  median µs/step  p99 µs/step  vs all served (same N)")
var served: [Int: Double] = [:]
var shortage: [Int: Double] = [:]
for chargers in [1_000, 3_000] {
    for (perCar, steps) in [(32.0, chargers == 1_000 ? 100 : 40), (3.0, chargers == 1_000 ? 100 : 40)] {
        let (median, p99, paused) = measureSite(chargers: chargers, perCar: perCar, steps: steps)
        if perCar == 32 { served[chargers] = median } else { shortage[chargers] = median }
        print(String(format: "%8d  %9.0f  %6d  %14.1f  %11.1f  %21.2f×", chargers, perCar, paused, median, p99, median / served[chargers]!))
    }
}
print(String(format: "shortage at 1000 vs all served at 1000: %.2f× (goal ≤ 2×)", shortage[1_000]! / served[1_000]!))
print(String(format: "shortage growth 1000 → 3000 chargers: %.2f× (goal ≤ 3.5×; linear = 3×)", shortage[3_000]! / shortage[1_000]!))
