import Testing
@testable import EnergyControl

/// Minimum first: pause only as many EVs as the minimums need, by the pause order, on the
/// constraints that are over-subscribed; then the policy shares the rest.
@Suite("Load management: minimum first")
struct AllocationRuleTests {
    func ev(_ plug: Int, zone: Int = 0, rotation: PhaseRotation = .rst, phases: Int = 3, min: Double = 6, max: Double = 32,
            pauseRank: Int = 0) -> Participant {
        var participant = Participant(id: "p\(plug)", plug: plug, zone: zone, rotation: rotation, vehiclePhases: phases, minimum: min,
                                      maximum: max, arrival: Double(plug))
        participant.pauseRank = pauseRank
        return participant
    }
    func allocate(_ evs: [Participant], _ zones: [ZoneTree.Zone], policy: AllocationPolicy = .equalShare) -> [Int] {
        let tree = try! ZoneTree(zones)
        let shares = Allocator.allocate(evs, tree: tree, available: zones.map(\.limit), policy: policy)
        // never above any constraint
        var used = [[Double]](repeating: [0, 0, 0], count: zones.count)
        for (participant, amperes) in zip(evs, shares) {
            for (zone, phase) in Allocator.constraints(participant, tree: tree) { used[zone][phase] += Double(amperes) }
        }
        for zone in zones.indices { for phase in 0..<3 { #expect(used[zone][phase] <= zones[zone].limit[phase], "\(zones[zone].id) L\(phase + 1)") } }
        return shares
    }
    func flat(_ amperes: Double) -> [ZoneTree.Zone] { [.init(id: "site", limit: [amperes, amperes, amperes])] }

    /// 4 × 6 A fit in 28 A, 5 × 6 A do not: the highest plug pauses, every other EV gets at least its
    /// minimum, and the policy shares the rest.
    @Test func minimumsFirstThenThePolicy() {
        let five = (1...5).map { ev($0) }
        #expect(allocate(five, flat(28)) == [7, 7, 7, 7, 0])
        #expect(allocate(five, flat(28), policy: .fifo) == [10, 6, 6, 6, 0])
        #expect(allocate(five, flat(28), policy: .combined(percent: 50)) == [10, 6, 6, 6, 0])
        #expect(allocate(five, flat(30), policy: .combined(percent: 50)) == [6, 6, 6, 6, 6])
        // different minimums: max–min fair above them (the 13 A car keeps its minimum, the others rise to 9)
        #expect(allocate([ev(1), ev(2, min: 13), ev(3)], flat(31)) == [9, 13, 9])
    }

    /// A paused EV (pauseRank > 0) stays paused before anyone else pauses: no flapping.
    @Test func pausedEVsStayPaused() {
        let four = [ev(1), ev(2, pauseRank: 1), ev(3), ev(4)]
        #expect(allocate(four, flat(20)) == [6, 0, 6, 6])
        #expect(allocate([ev(1, pauseRank: 1), ev(2, pauseRank: 2), ev(3), ev(4)], flat(14)) == [0, 0, 7, 7])
        // enough for everyone again: everyone resumes
        #expect(allocate(four, flat(24)) == [6, 6, 6, 6])
    }

    /// Only EVs loading an over-subscribed constraint pause: the highest plug sits in a zone that is fine.
    @Test func onlyEVsBehindTheShortagePause() {
        let zones: [ZoneTree.Zone] = [.init(id: "site", limit: [100, 100, 100]), .init(id: "a", parent: 0, limit: [10, 10, 10]),
                                      .init(id: "b", parent: 0, limit: [50, 50, 50])]
        #expect(allocate([ev(1, zone: 1), ev(2, zone: 1), ev(3, zone: 2)], zones) == [10, 0, 32])
    }

    /// One pass pauses greedily; a pause made unnecessary by a later one is undone (as many as needed).
    @Test func aPauseALaterOneMadeUnnecessaryIsUndone() {
        // site 12 A (three minimums: over), zone b 6 A (two minimums: over). EV3 pauses first (site),
        // then EV2 (zone b), which also frees the site: EV3 resumes.
        let zones: [ZoneTree.Zone] = [.init(id: "site", limit: [12, 12, 12]), .init(id: "a", parent: 0, limit: [12, 12, 12]),
                                      .init(id: "b", parent: 0, limit: [6, 6, 6])]
        #expect(allocate([ev(1, zone: 2), ev(2, zone: 2), ev(3, zone: 1)], zones) == [6, 0, 6])
    }

    /// Per phase: single-phase cars load only their grid phase; the three-phase car is held by L2.
    @Test func everyPhaseOfEveryZoneHolds() {
        let zones: [ZoneTree.Zone] = [.init(id: "site", limit: [60, 60, 60]), .init(id: "a", parent: 0, limit: [40, 30, 20])]
        let evs = [ev(1, zone: 1), ev(2, zone: 1, rotation: .single(0), phases: 1), ev(3, zone: 1, rotation: .single(1), phases: 1)]
        #expect(allocate(evs, zones) == [15, 25, 15])
        // L3 of zone a has 8 A: two three-phase cars cannot both have 6 A there; the one-phase car on L1 is unaffected
        let tight: [ZoneTree.Zone] = [.init(id: "site", limit: [60, 60, 60]), .init(id: "a", parent: 0, limit: [40, 40, 8])]
        #expect(allocate([ev(1, zone: 1), ev(2, zone: 1), ev(3, zone: 1, rotation: .single(0), phases: 1)], tight) == [8, 0, 32])
    }

    /// FIFO read literally through the load manager (`fifo_new_ev_waits`).
    @Test func loadManagerFIFONewEVWaitsOption() throws {
        var settings = LoadSettings()
        settings.zones = [ZoneSettings(id: "grid", limit: [120, 120, 120])]
        settings.policy = .fifo
        let cars = (1...5).map { LoadChargerInput(id: "cp\($0)", plug: $0, zone: 0, currents: [32, 32, 32]) }
        func run(_ settings: LoadSettings) throws -> [Int] {
            var manager = try LoadManager(settings: settings, siteFuse: false)
            return manager.step(now: 0, time: nil, chargers: cars, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0],
                                site: nil).map { Int($0.cap.amperes) }
        }
        #expect(try run(settings) == [32, 32, 32, 18, 6])
        settings.fifoNewEVWaits = true
        #expect(try run(settings) == [32, 32, 32, 24, 0])
    }
}

/// Random zone trees, phases, minimums, maximums, priorities, queued and paused EVs, each policy.
@Suite("Load management: random allocations")
struct AllocationRandomTests {
    @Test func boundsLimitsAndNothingLeftUnused() throws {
        for seed in UInt64(1)...2500 {
            var random = SeededRandom(seed: seed)
            var zones = [ZoneTree.Zone(id: "root", limit: (0..<3).map { _ in Double(Int.random(in: 0...200, using: &random)) })]
            for index in 1..<Int.random(in: 1...8, using: &random) {
                var parent = Int.random(in: 0..<index, using: &random)
                var depth = 1, walk = parent
                while let up = zones[walk].parent { depth += 1; walk = up }
                if depth >= 3 { parent = zones[parent].parent ?? 0 }
                zones.append(.init(id: "z\(index)", parent: parent,
                                   limit: zones[parent].limit.map { Double(Int.random(in: 0...Int($0), using: &random)) }))
            }
            let tree = try ZoneTree(zones)
            let rotations: [PhaseRotation] = [.rst, .str, .trs, .single(0), .single(1), .single(2)]
            let evs = (0..<Int.random(in: 1...40, using: &random)).map { plug in
                let minimum = [6.0, 6, 8, 10, 13].randomElement(using: &random)!
                var participant = Participant(id: "e\(plug)", plug: plug + 1, zone: Int.random(in: 0..<zones.count, using: &random),
                                              rotation: rotations.randomElement(using: &random)!,
                                              vehiclePhases: Bool.random(using: &random) ? 1 : 3, minimum: minimum,
                                              maximum: Double(Int.random(in: Int(minimum) - 2...32, using: &random)),
                                              priority: Int.random(in: 0..<6, using: &random) == 0,
                                              arrival: Double(Int.random(in: 0...20, using: &random)))
                participant.queued = Int.random(in: 0..<8, using: &random) == 0
                participant.pauseRank = Int.random(in: 0..<5, using: &random) == 0 ? Int.random(in: 1...5, using: &random) : 0
                participant.energyWh = Double(Int.random(in: 0...50_000, using: &random))
                return participant
            }
            let available = zones.map { zone in zone.limit.map { $0 - Double(Int.random(in: 0...10, using: &random)) } }
            let policy: AllocationPolicy = [.equalShare, .fifo, .combined(percent: 50), .combined(percent: Double(Int.random(in: 0...100, using: &random)))]
                .randomElement(using: &random)!
            let waits = policy == .fifo && Bool.random(using: &random)
            let order: PauseOrder = [.highestPlugFirst, .mostEnergyFirst, .longestChargingFirst].randomElement(using: &random)!
            let shares = Allocator.allocate(evs, tree: tree, available: available, policy: policy, pauseOrder: order, newEVWaits: waits)

            var used = [[Double]](repeating: [0, 0, 0], count: zones.count)
            var sharing = [[Double]](repeating: [0, 0, 0], count: zones.count)
            for (participant, amperes) in zip(evs, shares) {
                #expect(amperes == 0 || (Double(amperes) >= participant.minimum && Double(amperes) <= participant.maximum),
                        "seed \(seed): \(participant.id) at \(amperes) A outside [\(participant.minimum), \(participant.maximum)]")
                for (zone, phase) in Allocator.constraints(participant, tree: tree) {
                    used[zone][phase] += Double(amperes)
                    sharing[zone][phase] += 1
                }
            }
            for zone in zones.indices { for phase in 0..<3 {
                #expect(used[zone][phase] <= max(0, available[zone][phase]) + 1e-9, "seed \(seed): zone \(zone) L\(phase + 1) overloaded")
            } }
            // nothing left that an EV below its maximum could take: its minimum when it is at 0, else 1 A;
            // equal share may leave the flooring, under 1 A per EV behind the constraint
            for (participant, amperes) in zip(evs, shares) where participant.maximum >= participant.minimum && Double(amperes) + 1 <= participant.maximum {
                let wanted = amperes == 0 ? participant.minimum : 1
                let full = Allocator.constraints(participant, tree: tree).contains { zone, phase in
                    let room = max(0, available[zone][phase]) - used[zone][phase]
                    return room < wanted + (policy == .equalShare ? sharing[zone][phase] : 0) - 1e-9
                }
                #expect(full, "seed \(seed): \(participant.id) at \(amperes) A could take more")
            }
        }
    }
}
