import Testing
@testable import EnergyControl

@Suite("Load management allocation")
struct AllocatorTests {
    func tree(_ zones: [ZoneTree.Zone]) -> ZoneTree { try! ZoneTree(zones) }
    func flat(_ amperes: Double) -> ZoneTree { tree([.init(id: "site", limit: [amperes, amperes, amperes])]) }
    func ev(_ plug: Int, zone: Int = 0, rotation: PhaseRotation = .rst, phases: Int = 3, max: Double = 32, min: Double = 6,
            priority: Bool = false, arrival: Double? = nil) -> Participant {
        Participant(id: "p\(plug)", plug: plug, zone: zone, rotation: rotation, vehiclePhases: phases, minimum: min, maximum: max,
                    priority: priority, arrival: arrival ?? Double(plug))
    }
    func allocate(_ evs: [Participant], _ tree: ZoneTree, policy: AllocationPolicy = .equalShare, available: [[Double]]? = nil) -> [Int] {
        Allocator.allocate(evs, tree: tree, available: available ?? tree.zones.map(\.limit), policy: policy)
    }

    /// Mennekes use case 1: two charging points on a 32 A supply → 16 A each.
    @Test func mennekesTwoPointsOn32A() {
        #expect(allocate([ev(1), ev(2)], flat(32)) == [16, 16])
    }

    /// Circontrol §3.1: 40 A available, the priority plug charges at 32 A, 8 A remain for the others.
    @Test func circontrolPriorityExample() {
        #expect(allocate([ev(1, priority: true), ev(2)], flat(40)) == [32, 8])
        // two standard plugs cannot both have 6 A out of 8: the highest plug id pauses
        #expect(allocate([ev(1, priority: true), ev(2), ev(3)], flat(40)) == [32, 8, 0])
    }

    /// Circontrol §3.2: pause one by one, highest plug id first, until the rest fit.
    @Test func pauseOrderByPlugId() {
        #expect(allocate([ev(1), ev(2), ev(3), ev(4)], flat(20)) == [6, 6, 6, 0])
        #expect(allocate([ev(1), ev(2), ev(3), ev(4)], flat(11)) == [11, 0, 0, 0])
        var byEnergy = [ev(1), ev(2), ev(3)]
        byEnergy[0].energyWh = 9000
        #expect(Allocator.allocate(byEnergy, tree: flat(13), available: [[13, 13, 13]], policy: .equalShare, pauseOrder: .mostEnergyFirst) == [0, 6, 6])
    }

    /// Everyone gets the minimum first, then earlier arrivals their maximum (EVC08 §16.7.5.3 tables).
    @Test func fifoServesMinimumsThenEarlierArrivalsFirst() {
        let five = (1...5).map { ev($0) }
        #expect(allocate(five, flat(120), policy: .fifo) == [32, 32, 32, 18, 6])
        #expect(allocate(five, flat(80), policy: .fifo) == [32, 30, 6, 6, 6])
        #expect(allocate(five, flat(29), policy: .fifo) == [11, 6, 6, 6, 0])       // 5 × 6 > 29: the highest plug pauses
    }

    /// EVC08 §16.7.5.4 with F% = 50: half shared equally, the rest first come first served on top.
    @Test func combinedFiftyPercent() {
        let five = (1...5).map { ev($0) }
        let shares = allocate(five, flat(120), policy: .combined(percent: 50))
        #expect(shares == [32, 32, 32, 12, 12])
        #expect(shares.reduce(0, +) <= 120)
    }

    @Test func everyAncestorHoldsOnEveryPhase() {
        let zones = tree([.init(id: "site", limit: [63, 63, 63]),
                          .init(id: "a", parent: 0, limit: [32, 32, 32]), .init(id: "b", parent: 0, limit: [32, 32, 32])])
        let evs = [ev(1, zone: 1), ev(2, zone: 1), ev(3, zone: 1), ev(4, zone: 2)]
        #expect(allocate(evs, zones) == [10, 10, 10, 31])     // a: 32/3; b: what the site leaves (63 − 32)
    }

    @Test func singlePhaseCarsReserveOnlyTheirPhaseAfterRotation() {
        let evs = [ev(1, rotation: .rst, phases: 1), ev(2, rotation: .str, phases: 1), ev(3, rotation: .trs, phases: 1)]
        #expect(allocate(evs, flat(16)) == [16, 16, 16])       // one grid phase each
        #expect(PhaseRotation.str.gridPhases(vehiclePhases: 3) == [1, 2, 0])
        #expect(allocate([ev(1, phases: 1), ev(2, phases: 1)], flat(16)) == [8, 8])   // both on L1
    }

    @Test func treesAreValidated() {
        #expect(throws: ZoneTree.Problem.aboveParent("b", phase: 1)) {
            try ZoneTree([.init(id: "a", limit: [32, 32, 32]), .init(id: "b", parent: 0, limit: [16, 40, 16])])
        }
        #expect(throws: ZoneTree.Problem.tooDeep("d")) {
            try ZoneTree([.init(id: "a", limit: [9, 9, 9]), .init(id: "b", parent: 0, limit: [9, 9, 9]),
                          .init(id: "c", parent: 1, limit: [9, 9, 9]), .init(id: "d", parent: 2, limit: [9, 9, 9])])
        }
    }
}

/// Properties over thousands of random zone trees, chargers, rotations and EV phase counts.
@Suite("Load management properties")
struct AllocatorProperties {
    @Test func limitsHoldSetpointsAreValidAndNothingIsLeftUnused() throws {
        var random = SeededRandom(seed: 42)
        for _ in 0..<3000 {
            var zones = [ZoneTree.Zone(id: "root", limit: (0..<3).map { _ in Double(Int.random(in: 10...200, using: &random)) })]
            for index in 1..<Int.random(in: 1...8, using: &random) {
                let parent = Int.random(in: 0..<index, using: &random)
                var depth = 1, walk = parent
                while let up = zones[walk].parent { depth += 1; walk = up }
                let chosen = depth >= 2 ? zones[parent].parent ?? 0 : parent
                zones.append(.init(id: "z\(index)", parent: chosen, limit: zones[chosen].limit.map { Double(Int.random(in: 0...Int($0), using: &random)) }))
            }
            let tree = try ZoneTree(zones)
            let rotations: [PhaseRotation] = [.rst, .str, .trs, .single(0), .single(1), .single(2)]
            let evs = (0..<Int.random(in: 1...20, using: &random)).map { plug in
                let minimum = [6.0, 6, 8, 13].randomElement(using: &random)!
                return Participant(id: "e\(plug)", plug: plug, zone: Int.random(in: 0..<zones.count, using: &random),
                                   rotation: rotations.randomElement(using: &random)!, vehiclePhases: Bool.random(using: &random) ? 1 : 3,
                                   minimum: minimum, maximum: Double(Int.random(in: Int(minimum)...32, using: &random)),
                                   priority: Int.random(in: 0..<5, using: &random) == 0, arrival: Double.random(in: 0...100, using: &random))
            }
            let available = zones.map { zone in zone.limit.map { $0 - Double(Int.random(in: 0...10, using: &random)) } }
            let policy: AllocationPolicy = [.equalShare, .fifo, .combined(percent: 50)].randomElement(using: &random)!
            let shares = Allocator.allocate(evs, tree: tree, available: available, policy: policy)
            // no zone (or ancestor) above its availability on any phase
            var used = [[Double]](repeating: [0, 0, 0], count: zones.count)
            for (participant, amperes) in zip(evs, shares) {
                #expect(amperes == 0 || (Double(amperes) >= participant.minimum && Double(amperes) <= participant.maximum))
                for (zone, phase) in Allocator.constraints(participant, tree: tree) { used[zone][phase] += Double(amperes) }
            }
            for zone in zones.indices { for phase in 0..<3 {
                #expect(used[zone][phase] <= max(0, available[zone][phase]) + 1e-9, "zone \(zone) L\(phase + 1)")
            } }
            // equal share leaves nothing unused that a charging EV below its max could take
            // (up to the whole-ampere rounding of everyone behind the same constraint)
            if policy == .equalShare {
                for (participant, amperes) in zip(evs, shares) where amperes > 0 && Double(amperes) + 1 <= participant.maximum {
                    let room = Allocator.constraints(participant, tree: tree).map { max(0, available[$0.zone][$0.phase]) - used[$0.zone][$0.phase] }.min()!
                    let sharing = Double(evs.count)
                    #expect(room < sharing + 1e-9, "\(participant.id) at \(amperes) A could take \(room) A more")
                }
            }
        }
    }
}
