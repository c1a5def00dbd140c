import ControlCore
import EnergyControl
import Foundation
import SimulatedDevices
import SiteConfiguration
import Testing
@testable import Simulation

/// Properties of the service's control core over time, on random sites with every feature
/// switched on in random combinations: all three policies, priorities and priority hours, low
/// consumption, state B, imbalance limits, time of use, digital-input reductions, downgrade, load
/// shedding, offline modes and disconnected limits, percentage headroom; chargers losing contact,
/// dynamic zones whose other loads jump, zone- and grid-meter outages; 1p and 3p cars on rotated
/// phases whose draw rises and falls below their setpoints; charge modes, operator commands and an
/// energy manager writing, going silent and coming back.
///
/// A limit may be crossed for one meter period after every rise of a load no charger controls (the
/// sample that shows it); two rises one period apart make two such periods in a row.
///
/// CI runs `sites` sites (800 × `CB_PROPERTY_SCALE`; fixed seed, printed with every failure); `CB_PROPERTY_SITES=20000`
/// runs longer, `CB_PROPERTY_SEED=N` another sequence.
@Suite("Every feature, over time")
struct EveryFeatureProperties {
    static let sites = ProcessInfo.processInfo.environment["CB_PROPERTY_SITES"].flatMap(Int.init) ?? PropertySize.cases(800)
    static let seed = ProcessInfo.processInfo.environment["CB_PROPERTY_SEED"].flatMap(UInt64.init) ?? 20_261_123

    static func pick<T>(_ values: [T], _ random: inout SeededRandom) -> T { values.randomElement(using: &random)! }
    static func chance(_ p: Double, _ random: inout SeededRandom) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    static func window(_ duration: Seconds, length: ClosedRange<Double>, _ random: inout SeededRandom) -> SiteScenario.Window {
        SiteScenario.Window(start: Double.random(in: 0..<duration, using: &random), duration: Double.random(in: length, using: &random))
    }

    static func randomScenario(_ random: inout SeededRandom) -> SiteScenario {
        var scenario = SiteScenario()
        let duration = Double(Int.random(in: 120...480, using: &random))
        scenario.duration = duration
        scenario.meterPeriod = pick([0.5, 1, 2], &random)
        scenario.startOfDay = Double(Int.random(in: 0..<24, using: &random) * 3600)
        scenario.startWeekday = Int.random(in: 1...7, using: &random)
        scenario.settings.ramp.increaseInterval = Double.random(in: 0...6, using: &random)
        scenario.settings.fuse.resumeDelay = Double.random(in: 0...15, using: &random)

        // zones: one or two roots, each with up to two levels below
        var load = LoadSettings()
        load.policy = pick([.equalShare, .fifo, .combined(percent: Double(Int.random(in: 10...90, using: &random)))], &random)
        load.fifoNewEVWaits = load.policy == .fifo && chance(0.3, &random)
        load.pauseOrder = pick([.highestPlugFirst, .mostEnergyFirst, .longestChargingFirst], &random)
        load.pauseRotation = pick([60, 300, 900], &random)
        load.demand.lowConsumption = chance(0.6, &random)
        load.demand.lowConsumptionDelay = Double.random(in: 5...60, using: &random)
        load.demand.lowConsumptionQueues = chance(0.5, &random)
        load.demand.margin = pick([1, 2, 3], &random)
        load.demand.stateBDetection = chance(0.6, &random)
        load.demand.waitingTime = Double.random(in: 10...60, using: &random)
        load.demand.retryPeriod = Double.random(in: 10...90, using: &random)
        if chance(0.3, &random) { load.priorityTags = ["VIP"] }
        if chance(0.15, &random) { load.sessionRandomDelayMax = pick([30, 120], &random) }
        if chance(0.3, &random) { load.prioritySchedule = WeeklyHours(hours: Set((0..<168).filter { _ in chance(0.5, &random) })) }
        if chance(0.3, &random) {
            let start = Int.random(in: 0..<23, using: &random) * 60
            load.timeOfUse = try? TimeOfUse(periods: [TimeOfUse.Period(name: "peak", percent: Double(Int.random(in: 20...90, using: &random)),
                                                                       slots: [TimeOfUse.Slot(window: DailyWindow(start: start, end: start + 60 * Int.random(in: 1...6, using: &random)),
                                                                                              weekdays: Set(1...7))])])
        }
        var zoneLoads: [Int: SiteScenario.ZoneLoads] = [:]
        func addZone(_ id: String, parent: String?, limit: Double) {
            var zone = ZoneSettings(id: id, parent: parent, limit: (0..<3).map { _ in limit - Double(Int.random(in: 0...4, using: &random)) })
            zone.headroom = (0..<3).map { _ in Double(Int.random(in: 0...1, using: &random)) }
            if chance(0.3, &random) { zone.headroomPercent = pick([5, 10, 20], &random) }
            zone.offlineMode = pick([.stop, .keepLast, .activeSessions, .allSessions], &random)
            if zone.offlineMode == .activeSessions || zone.offlineMode == .allSessions, chance(0.4, &random) {
                zone.offlineCurrent = Double(Int.random(in: 6...10, using: &random))
            }
            if chance(0.2, &random) { zone.disconnectedLimit = 8 }
            if parent == nil, chance(0.25, &random) { zone.imbalanceLimit = 20 }
            if load.timeOfUse != nil, chance(0.3, &random) { zone.disabledPeriods = [0] }
            // a dynamic zone: other loads below it that jump, within a third of its limit
            if chance(0.4, &random) {
                zone.dynamic = true
                zone.meterIncludesChargers = chance(0.7, &random)
                zone.degradedLimit = zone.limit.map { ($0 / 3).rounded(.down) }
                var others = SiteScenario.ZoneLoads()
                let room = zone.limit.map { $0 / 3 }
                others.base = room.map { Double(Int.random(in: 0...Int($0 / 2), using: &random)) }
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    others.events.append(.init(window: window(duration, length: 5...120, &random),
                                               watts: (0..<3).map { Double(Int.random(in: 0...Int(room[$0] / 6), using: &random)) }))
                }
                zoneLoads[load.zones.count] = others
                if chance(0.3, &random) {
                    scenario.zoneMeterOutages[load.zones.count] = [window(duration, length: 5...60, &random)]
                }
            }
            load.zones.append(zone)
        }
        for root in 0..<Int.random(in: 1...2, using: &random) {
            let rootLimit = Double(Int.random(in: 24...100, using: &random))
            addZone("r\(root)", parent: nil, limit: rootLimit)
            for child in 0..<Int.random(in: 0...2, using: &random) {
                let childLimit = Double(Int.random(in: 16...Int(rootLimit), using: &random))
                addZone("r\(root)c\(child)", parent: "r\(root)", limit: min(childLimit, load.zones.last { $0.id == "r\(root)" }!.limit.min()!))
                if chance(0.3, &random) {
                    let parentLimit = load.zones.last!.limit.min()!
                    addZone("r\(root)c\(child)g", parent: "r\(root)c\(child)", limit: Double(Int.random(in: min(16, Int(parentLimit))...Int(parentLimit), using: &random)))
                }
            }
        }
        scenario.load = load
        scenario.zoneLoads = zoneLoads
        let leaves = load.zones.indices.filter { index in !load.zones.contains { $0.parent == load.zones[index].id } }

        // the site fuse: most sites have one; the house and every zone's other loads stay below it
        let othersWorst = (0..<3).map { p in zoneLoads.values.reduce(0.0) { $0 + $1.base[p] + $1.events.reduce(0) { $0 + $1.watts[p] } } }
        if chance(0.7, &random) {
            let fuse = Double(Int.random(in: 40...160, using: &random))
            scenario.settings.fuse.limit = [fuse, fuse, fuse]
            scenario.settings.fuse.headroom = [1, 1, 1]
            if chance(0.3, &random) { scenario.settings.fuse.headroomPercent = 5 }
            scenario.settings.fuse.meterLocation = chance(0.5, &random) ? .including : .excluding
            if chance(0.3, &random) { scenario.settings.fuse.fallbackCurrent = Double(Int.random(in: 0...16, using: &random)) }
            else if chance(0.3, &random) { scenario.settings.fuse.assumedLoad = [fuse / 2, fuse / 2, fuse / 2] }
            let houseRoom = (0..<3).map { max(0, (fuse * 0.5 - othersWorst[$0]) * 230) }
            scenario.house.baseWatts = houseRoom.map { Double.random(in: 0...($0 / 3), using: &random) }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                scenario.house.events.append(.init(window: window(duration, length: 5...120, &random),
                                                   watts: houseRoom.map { Double.random(in: 0...($0 / 6), using: &random) }))
            }
            if chance(0.3, &random) { scenario.meterOutages = [window(duration, length: 5...40, &random)] }
            if chance(0.3, &random) { scenario.settings.fuse.meterAverage = pick([5, 20], &random) }
        } else {
            scenario.house.baseWatts = [0, 0, 0]
        }

        // inputs: reductions, downgrade, load shedding
        scenario.settings.inputs.reductionPercent = [Double(Int.random(in: 0...100, using: &random)), 50, 25]
        scenario.settings.inputs.downgradeOffset = (0..<3).map { _ in Double(Int.random(in: 0...10, using: &random)) }
        for kind in [SiteScenario.InputEvent.Kind.reduction1, .reduction2, .reduction3, .downgrade, .loadShedding, .disable] where chance(0.15, &random) {
            scenario.inputs.append(.init(kind: kind, window: window(duration, length: 10...120, &random)))
        }

        // chargers on the leaf zones: 1p and 3p, rotations, cars drawing less than offered, losing contact
        let rotations: [PhaseRotation] = [.rst, .str, .trs]
        for index in 0..<Int.random(in: 2...10, using: &random) {
            let single = chance(0.2, &random)
            let maximum = Int.random(in: 10...32, using: &random)
            var limits = ChargerLimits(minCurrent: 6, maxCurrent: maximum, phases: single ? 1 : 3)
            // ZE Ready: a higher minimum on three phases
            if !single, maximum >= 13, chance(0.2, &random) { (limits.minCurrent, limits.minCurrentThreePhase) = (8, 13) }
            var charger = SiteScenario.Charger(id: "c\(index)", limits: limits, mode: .maxHybrid, evs: [])
            charger.placement.zone = pick(leaves, &random)
            charger.placement.rotation = single ? .single(Int.random(in: 0...2, using: &random)) : pick(rotations, &random)
            charger.placement.plug = index + 1
            charger.placement.priority = chance(0.15, &random)
            if chance(0.15, &random) { charger.placement.disconnectedLimit = Double(min(8, maximum)) }
            var arrival = Double.random(in: 0...60, using: &random)
            for _ in 0..<Int.random(in: 1...2, using: &random) where arrival < duration {
                var ev = SimulatedEV(arrival: arrival, departure: arrival + Double.random(in: 60...400, using: &random),
                                     phases: chance(0.3, &random) ? 1 : 3, maxCurrent: Double.random(in: 6...32, using: &random),
                                     capacityWh: Double.random(in: 500...20_000, using: &random), soc: Double.random(in: 0.3...0.95, using: &random),
                                     targetSoC: Double.random(in: 0.8...1, using: &random))
                if chance(0.2, &random) { ev.idTag = "VIP" }
                charger.evs.append(ev)
                arrival = ev.departure! + Double.random(in: 5...120, using: &random)
            }
            if chance(0.25, &random) { charger.offline = [window(duration, length: 5...200, &random)] }
            if chance(0.3, &random) { charger.failsafeTimeout = nil }
            if chance(0.15, &random) { charger.mode = pick([.sunHybrid, .sunOnly, .off, .now], &random) }
            scenario.chargers.append(charger)
            // what an operator and an energy manager may say meanwhile
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                let at = Double.random(in: 0..<duration, using: &random)
                let action: SiteScenario.ControlEvent.Action = switch Int.random(in: 0..<6, using: &random) {
                case 0: .command(.currentLimit, id: charger.id, .amperes(Int.random(in: 6...maximum, using: &random)))
                case 1: .command(.enable, id: charger.id, .flag(chance(0.5, &random)))
                case 2: .command(.force, id: charger.id, .flag(true))
                case 3: .ems(charger: index, [.failsafeTimeout(Double(Int.random(in: 5...30, using: &random))),
                                              .failsafeCurrent(Double(pick([0, 6, maximum], &random))),
                                              .current(Double(Int.random(in: 6...maximum, using: &random)))])
                case 4: .emsSilent(charger: index, true)
                default: .emsSilent(charger: index, false)
                }
                scenario.events.append(SiteScenario.ControlEvent(at: at, action: action))
            }
        }
        for zone in load.zones where chance(0.1, &random) {
            scenario.events.append(SiteScenario.ControlEvent(at: Double.random(in: 0..<duration, using: &random),
                                                             action: .command(.operatorLimit, id: zone.id, .zoneLimit(zone.limit.map { ($0 * 0.6).rounded(.down) }))))
        }
        scenario.events.sort { $0.at < $1.at }
        return scenario
    }

    /// Zone index → its zone and ancestors, and the chargers anywhere below each zone.
    static func paths(_ load: LoadSettings) -> [[Int]] {
        load.zones.indices.map { index in
            var path = [index]
            var current = load.zones[index].parent
            while let id = current, let parent = load.zones.firstIndex(where: { $0.id == id }) {
                path.append(parent)
                current = load.zones[parent].parent
            }
            return path
        }
    }

    /// In two parts (even and odd sites of one sequence) that run side by side.
    @Test(arguments: 0..<2) func limitsHoldSetpointsAreValidAndNothingIsLeftThatAnEVCouldTake(part: Int) throws {
        var random = SeededRandom(seed: Self.seed)
        var failures = 0
        for site in 0..<Self.sites where failures < 5 {
            let scenario = Self.randomScenario(&random)
            guard site % 2 == part else { continue }
            let load = scenario.load!
            let paths = Self.paths(load)
            let offset = scenario.settings.fuse.limit == nil ? 0 : 1   // the fuse's report comes first
            var behind = [Int](repeating: 0, count: load.zones.count)
            var below = [[Int]](repeating: [], count: load.zones.count)
            for (index, charger) in scenario.chargers.enumerated() {
                for zone in paths[charger.placement.zone!] { behind[zone] += 1; below[zone].append(index) }
            }
            let imbalanced = load.zones.indices.map { zone in paths[zone].contains { load.zones[$0].imbalanceLimit != nil } }
            // a lost meter hides what flows below it until its last sample is stale: limits may be crossed unseen then
            let stale = load.meterStaleAfter + 2 * scenario.meterPeriod
            var blindZones = [[(Double, Double)]](repeating: [], count: load.zones.count)
            for (zone, outages) in scenario.zoneMeterOutages {
                for outage in outages { for z in paths[zone] { blindZones[z].append((outage.start, outage.start + outage.duration + stale)) } }
            }
            let fuseStale = scenario.settings.fuse.meterStaleAfter + 2 * scenario.meterPeriod
            let blindFuse = scenario.meterOutages.map { ($0.start, $0.start + $0.duration + fuseStale) }
            var zoneRun = [Double](repeating: 0, count: load.zones.count), fuseRun = 0.0
            var lastOthers = [Double.infinity, .infinity, .infinity]
            var lastZoneOthers = [[Double]](repeating: [.infinity, .infinity, .infinity], count: load.zones.count)
            var problem: String?
            var simulator = try SiteSimulator(scenario: scenario)
            let summary = simulator.run { tick in
                guard problem == nil else { return }
                for (zone, currents) in tick.zoneCurrents.enumerated() {
                    let above = (0..<3).contains { currents[$0] > load.zones[zone].limit[$0] + 1e-9 }
                    // a load that rose while a lost charger still draws its reserved current: once every
                    // charger below is told 0, nothing more can be done
                    let exhausted = below[zone].allSatisfy { tick.setpoints[$0] == 0 }
                    let blind = exhausted || blindZones[zone].contains { tick.time >= $0.0 && tick.time <= $0.1 }
                    // a load that rose again since the last sample is seen one period late, like the first
                    let jumped = (0..<3).contains { tick.zoneOtherCurrents[zone][$0] > lastZoneOthers[zone][$0] + 1e-9 }
                    zoneRun[zone] = above && !blind ? (jumped ? scenario.meterPeriod : zoneRun[zone] + scenario.meterPeriod) : 0
                    if zoneRun[zone] > scenario.meterPeriod + 1e-9 {
                        problem = "zone \(load.zones[zone].id) above its limit \(load.zones[zone].limit) for \(zoneRun[zone]) s at t = \(tick.time): \(currents)"
                    }
                }
                if let fuse = scenario.settings.fuse.limit {
                    let above = (0..<3).contains { tick.grid[$0] > fuse[$0] + 1e-9 }
                    let blind = tick.setpoints.allSatisfy { $0 == 0 } || blindFuse.contains { tick.time >= $0.0 && tick.time <= $0.1 }
                    let jumped = (0..<3).contains { tick.otherCurrents[$0] > lastOthers[$0] + 1e-9 }
                    fuseRun = above && !blind ? (jumped ? scenario.meterPeriod : fuseRun + scenario.meterPeriod) : 0
                    if fuseRun > scenario.meterPeriod + 1e-9 { problem = "fuse \(fuse) exceeded for \(fuseRun) s at t = \(tick.time): \(tick.grid)" }
                }
                lastOthers = tick.otherCurrents
                lastZoneOthers = tick.zoneOtherCurrents
                for (index, setpoint) in tick.setpoints.enumerated() {
                    let limits = scenario.chargers[index].limits
                    // what a charger falls back to on its own: 0 or a current it can charge at, never above
                    // its maximum or its own disconnected limit
                    if let pushed = tick.failsafePushes[index],
                       pushed != 0 && (!(limits.minCurrent...limits.ceiling).contains(pushed)
                                       || Double(pushed) > (scenario.chargers[index].placement.disconnectedLimit ?? .infinity)) {
                        problem = "charger \(index): failsafe current \(pushed) A pushed at t = \(tick.time)"
                    }
                    if setpoint != 0, !(limits.minCurrent...limits.ceiling).contains(setpoint) {
                        problem = "charger \(index): setpoint \(setpoint) A outside 0 or \(limits.minCurrent)…\(limits.ceiling) at t = \(tick.time)"
                    }
                    // held below its maximum by a zone: the zone (or an ancestor) has no room left for it,
                    // but for what flooring to whole amperes leaves behind each EV
                    guard tick.reasons[index] == .zone, let leaf = scenario.chargers[index].placement.zone, !imbalanced[leaf],
                          tick.zoneReports.count == load.zones.count + offset else { continue }
                    // (each EV behind a constraint may leave up to 1 A of it; a paused one needs its minimum)
                    let phases = scenario.chargers[index].placement.rotation.gridPhases(vehiclePhases: limits.phases)
                    // (a ZE Ready charger's minimum depends on the phases its car uses: the higher one may apply)
                    let extra = setpoint == 0 ? limits.highestMinimum : 1
                    var constraints = paths[leaf].map { (report: tick.zoneReports[$0 + offset], count: behind[$0]) }
                    if offset == 1 { constraints.append((tick.zoneReports[0], scenario.chargers.count)) }
                    let full = constraints.contains { constraint in
                        phases.contains { constraint.report.available[$0] - constraint.report.allocated[$0] < Double(constraint.count + extra) }
                    }
                    if !full {
                        problem = "charger \(index) held at \(setpoint) A by its zone with room left on every constraint of its path at t = \(tick.time)"
                    }
                }
            }
            if let problem {
                failures += 1
                Issue.record("seed \(Self.seed), site \(site): \(problem); policy \(load.policy), zones \(load.zones.map { "\($0.id)<\($0.parent ?? "-") \($0.limit) dyn \($0.dynamic)" })")
            }
            #expect(summary.setpointViolations == 0, "seed \(Self.seed), site \(site)")
        }
    }
}
