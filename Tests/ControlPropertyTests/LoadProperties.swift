import Testing
@testable import EnergyControl

/// Properties of the load manager over thousands of random zone trees, chargers, rotations, EV
/// phase counts, imbalance limits and disconnected chargers (fixed seed: reproducible).
@Suite("Load manager properties")
struct LoadProperties {
    struct Site {
        var settings: LoadSettings
        var chargers: [LoadChargerInput]
        /// Other loads per zone and phase (dynamic zones).
        var others: [[Double]]
    }

    static func randomSite(_ random: inout SeededRandom, policy: AllocationPolicy, imbalance: Bool, offline: Bool) -> Site {
        var settings = LoadSettings()
        settings.policy = policy
        var zones = [ZoneSettings(id: "z0", limit: (0..<3).map { _ in Double(Int.random(in: 10...250, using: &random)) })]
        var depth = [1]
        for index in 1..<Int.random(in: 1...10, using: &random) {
            var parent = Int.random(in: 0..<index, using: &random)
            if depth[parent] == 3 { parent = Int.random(in: 0..<index, using: &random) }
            if depth[parent] == 3 { zones.append(ZoneSettings(id: "z\(index)", limit: (0..<3).map { _ in Double(Int.random(in: 10...250, using: &random)) })); depth.append(1); continue }
            zones.append(ZoneSettings(id: "z\(index)", parent: zones[parent].id,
                                      limit: zones[parent].limit.map { Double(Int.random(in: 0...Int($0), using: &random)) }))
            depth.append(depth[parent] + 1)
        }
        var others = [[Double]](repeating: [0, 0, 0], count: zones.count)
        for index in zones.indices {
            zones[index].dynamic = Int.random(in: 0..<3, using: &random) == 0
            zones[index].meterIncludesChargers = false
            // a zone's own fuse keeps its other loads within its limit
            if zones[index].dynamic { others[index] = (0..<3).map { Double(Int.random(in: 0...min(40, Int(zones[index].limit[$0])), using: &random)) } }
            if imbalance, Bool.random(using: &random) { zones[index].imbalanceLimit = Double(Int.random(in: 0...30, using: &random)) }
        }
        settings.zones = zones
        let rotations: [PhaseRotation] = [.rst, .str, .trs, .single(0), .single(1), .single(2)]
        let chargers = (0..<Int.random(in: 1...30, using: &random)).map { plug -> LoadChargerInput in
            let minimum = [6.0, 6, 8, 13, 14].randomElement(using: &random)!
            let rotation = rotations.randomElement(using: &random)!
            let chargerPhases: Int = { if case .single = rotation { return 1 } else { return 3 } }()
            return LoadChargerInput(id: "cp\(plug)", plug: plug + 1, zone: Int.random(in: 0..<zones.count, using: &random), rotation: rotation,
                                    chargerPhases: chargerPhases, vehiclePhases: chargerPhases == 1 || Bool.random(using: &random) ? 1 : 3,
                                    minimum: minimum, maximum: Double(Int.random(in: Int(minimum)...32, using: &random)),
                                    priority: Int.random(in: 0..<6, using: &random) == 0, plugged: Int.random(in: 0..<8, using: &random) != 0,
                                    online: !offline || Int.random(in: 0..<6, using: &random) != 0, failsafeTimeout: 10)
        }
        return Site(settings: settings, chargers: chargers, others: others)
    }

    /// What flows through each zone besides its EVs: a dynamic zone's meter reading, or for a zone
    /// without a meter the other loads of the metered zones below it.
    static func throughLoads(_ site: Site) -> [[Double]] {
        let zones = site.settings.zones
        var result = [[Double]](repeating: [0, 0, 0], count: zones.count)
        for index in zones.indices.reversed() {
            if zones[index].dynamic { result[index] = site.others[index] }
            guard let parent = zones[index].parent.flatMap({ id in zones.firstIndex { $0.id == id } }), !zones[parent].dynamic else { continue }
            for phase in 0..<3 { result[parent][phase] += result[index][phase] }
        }
        return result
    }

    /// Steps the manager twice (the second time after disconnected chargers fell back to their
    /// degraded setpoint) and returns the caps with the degraded setpoints.
    static func run(_ site: Site) throws -> (tree: ZoneTree, caps: [Int], degraded: [Int], manager: LoadManager) {
        var manager = try LoadManager(settings: site.settings, siteFuse: false)
        for zone in site.settings.zones.indices where site.settings.zones[zone].dynamic {
            manager.record(zone: zone, GridSample(time: 100, currents: site.others[zone], power: 0))
        }
        _ = manager.step(now: 0, time: nil, chargers: site.chargers, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
        let out = manager.step(now: 100, time: nil, chargers: site.chargers, inputs: SiteInputs(), reductionPercent: [],
                               downgradeOffset: [0, 0, 0], site: nil)
        return (manager.tree, out.map { Int($0.cap.amperes) }, out.map(\.degraded), manager)
    }

    @Test func noZoneOrAncestorIsEverOverloadedAndSetpointsAreValid() throws {
        var random = SeededRandom(seed: 2026)
        for round in 0..<PropertySize.cases(2000) {
            let policy: AllocationPolicy = [.equalShare, .fifo, .combined(percent: 50)][round % 3]
            let site = Self.randomSite(&random, policy: policy, imbalance: true, offline: true)
            let (tree, caps, degraded, _) = try Self.run(site)
            let through = Self.throughLoads(site)
            var used = [[Double]](repeating: [0, 0, 0], count: tree.zones.count)
            for (charger, cap) in zip(site.chargers, caps) {
                // an offline charger draws its degraded setpoint (its watchdog has fired)
                let amperes = charger.online ? Double(cap) : Double(degraded[site.chargers.firstIndex { $0.id == charger.id }!])
                if charger.online {
                    #expect(cap == 0 || (Double(cap) >= charger.minimum && Double(cap) <= charger.maximum), "round \(round): \(charger.id) at \(cap)")
                    #expect(charger.plugged || cap == 0)
                }
                let phases = charger.rotation.gridPhases(vehiclePhases: charger.online ? charger.vehiclePhases : charger.chargerPhases)
                for zone in tree.paths[charger.zone!] { for phase in phases { used[zone][phase] += amperes } }
            }
            for (index, zone) in site.settings.zones.enumerated() {
                for phase in 0..<3 {
                    #expect(used[index][phase] + through[index][phase] <= max(zone.limit[phase], through[index][phase]) + 1e-9,
                            "round \(round): zone \(zone.id) L\(phase + 1)")
                }
            }
            // imbalance: no phase loaded by a single-phase car is more than the limit above the lowest
            for (index, zone) in site.settings.zones.enumerated() {
                guard let limit = zone.imbalanceLimit else { continue }
                var totals = through[index]
                var singleLoaded = Set<Int>()
                for (charger, cap) in zip(site.chargers, caps) where charger.online && tree.paths[charger.zone!].contains(index) {
                    let phases = charger.rotation.gridPhases(vehiclePhases: charger.vehiclePhases)
                    for phase in phases { totals[phase] += Double(cap) }
                    if phases.count == 1, cap > 0 { singleLoaded.insert(phases[0]) }
                }
                for phase in singleLoaded {
                    #expect(totals[phase] <= totals.min()! + limit + 1e-9, "round \(round): zone \(zone.id) unbalanced \(totals)")
                }
            }
        }
    }

    /// Equal share is max–min fair above the minimums: a vehicle below its maximum sits behind a full
    /// constraint where nobody above their own minimum gets more than it (up to whole-ampere
    /// rounding), so no current is left unused that it could take.
    @Test func equalShareIsMaxMinFair() throws {
        var random = SeededRandom(seed: 7)
        var checked = 0
        for round in 0..<PropertySize.cases(5000) {
            var site = Self.randomSite(&random, policy: .equalShare, imbalance: false, offline: false)
            for index in site.chargers.indices { site.chargers[index].priority = false }
            let (tree, caps, _, _) = try Self.run(site)
            // pausing for a shortage is the other rule; fairness is about the shares
            guard !zip(site.chargers, caps).contains(where: { $0.plugged && $1 == 0 }) else { continue }
            checked += 1
            let through = Self.throughLoads(site)
            var available = site.settings.zones.indices.map { z in (0..<3).map { site.settings.zones[z].limit[$0] - through[z][$0] } }
            var sharers = [[Int]](repeating: [0, 0, 0], count: tree.zones.count)
            var largest = [[Int]](repeating: [0, 0, 0], count: tree.zones.count)
            for (charger, cap) in zip(site.chargers, caps) where charger.plugged {
                for zone in tree.paths[charger.zone!] {
                    for phase in charger.rotation.gridPhases(vehiclePhases: charger.vehiclePhases) {
                        available[zone][phase] -= Double(cap)
                        sharers[zone][phase] += 1
                        // a vehicle held at its own (higher) minimum got that first, not as a share
                        if Double(cap) > charger.minimum { largest[zone][phase] = max(largest[zone][phase], cap) }
                    }
                }
            }
            for (charger, cap) in zip(site.chargers, caps) where charger.plugged && Double(cap) + 1 <= charger.maximum {
                let bottleneck = tree.paths[charger.zone!].contains { zone in
                    charger.rotation.gridPhases(vehiclePhases: charger.vehiclePhases).contains { phase in
                        available[zone][phase] < Double(sharers[zone][phase]) + 1e-9 && largest[zone][phase] <= cap + 1
                    }
                }
                #expect(bottleneck, "round \(round): \(charger.id) at \(cap) A could take more")
            }
        }
        #expect(checked > PropertySize.cases(5000) / 10, "only \(checked) sites without a pause")
    }
}
