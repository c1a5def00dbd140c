import SimulatedDevices
import Foundation
import Testing
import EnergyControl
@testable import Simulation

/// Properties of the single-site loops over thousands of random sites and load/PV traces, run
/// through the scenario simulator with a fixed seed (reproducible).
@Suite("Site control properties")
struct SiteProperties {
    /// A random site whose house alone never exceeds the fuse (otherwise no controller could help).
    static func randomScenario(_ random: inout SeededRandom) -> SiteScenario {
        var scenario = SiteScenario()
        let fuse = Double(Int.random(in: 16...63, using: &random))
        scenario.duration = Double(Int.random(in: 300...900, using: &random))
        scenario.meterPeriod = 0.5
        scenario.startOfDay = Double.random(in: 0..<86_400, using: &random)
        scenario.settings.fuse.limit = [fuse, fuse, fuse]
        scenario.settings.fuse.headroom = [Double.random(in: 0...2, using: &random), 0, 1]
        scenario.settings.fuse.meterLocation = Bool.random(using: &random) ? .including : .excluding
        scenario.settings.fuse.resumeDelay = Double.random(in: 0...20, using: &random)
        scenario.settings.ramp.increaseInterval = Double.random(in: 0...10, using: &random)
        scenario.settings.phaseSwitching.cooldown = Double.random(in: 30...300, using: &random)
        scenario.settings.phaseSwitching.minimumHold = scenario.settings.phaseSwitching.cooldown
        scenario.settings.phaseSwitching.toOnePhaseDelay = Double.random(in: 0...60, using: &random)
        scenario.settings.phaseSwitching.toThreePhaseDelay = Double.random(in: 0...60, using: &random)
        scenario.settings.phaseSwitching.pauseBeforeSwitch = Double.random(in: 0...10, using: &random)
        // The house alone stays below the fuse even if every event overlaps.
        let houseCeiling = (fuse - 2) * 230   // per phase, watts
        scenario.house.baseWatts = (0..<3).map { _ in Double.random(in: 0...(houseCeiling * 0.3), using: &random) }
        let events = Int.random(in: 0...8, using: &random)
        for _ in 0..<events {
            let start = Double.random(in: 0..<scenario.duration, using: &random)
            let watts = (0..<3).map { p in Double.random(in: 0...((houseCeiling - scenario.house.baseWatts[p]) / Double(events)), using: &random) }
            scenario.house.events.append(.init(window: .init(start: start, duration: Double.random(in: 1...300, using: &random)), watts: watts))
        }
        if Bool.random(using: &random) {
            scenario.pv.peakWatts = Double.random(in: 0...(fuse * 230 * 3), using: &random)
            scenario.pv.sunrise = 0
            scenario.pv.sunset = 86_399
            scenario.pv.clouds = .init(perHour: Double.random(in: 0...30, using: &random), duration: 60,
                                       magnitude: Double.random(in: 0...1, using: &random), seed: random.next())
        }
        for index in 0..<Int.random(in: 1...3, using: &random) {
            let minimum = [6, 6, 8, 13].randomElement(using: &random)!
            let limits = ChargerLimits(minCurrent: minimum, maxCurrent: Int.random(in: max(minimum, 10)...32, using: &random),
                                       phases: 3, canSwitchPhases: Bool.random(using: &random))
            let ev = SimulatedEV(arrival: Double.random(in: 0...60, using: &random), phases: Bool.random(using: &random) ? 1 : 3,
                                 maxCurrent: Double.random(in: 6...32, using: &random), capacityWh: 60_000,
                                 soc: Double.random(in: 0...0.95, using: &random))
            scenario.chargers.append(.init(id: "c\(index)", limits: limits, mode: ChargeMode.allCases.randomElement(using: &random)!, evs: [ev]))
        }
        if Bool.random(using: &random) {
            scenario.meterOutages.append(.init(start: Double.random(in: 0..<scenario.duration, using: &random), duration: 20))
        }
        if Bool.random(using: &random) {
            scenario.inputs.append(.init(kind: .loadShedding, window: .init(start: Double.random(in: 0..<scenario.duration, using: &random), duration: 60)))
        }
        return scenario
    }

    /// In two parts (even and odd sites of one sequence) that run side by side.
    @Test(arguments: 0..<2) func theFuseHoldsSetpointsAreValidAndSwitchesRespectTheCooldown(part: Int) throws {
        var random = SeededRandom(seed: 20_261_121)
        let count = PropertySize.cases(500)
        var sites = 0, simulated = 0.0
        for index in 0..<count {
            let scenario = Self.randomScenario(&random)
            guard index % 2 == part else { continue }
            var simulator = try SiteSimulator(scenario: scenario)
            var badTick: String?
            // While the meter is out (and until its last sample goes stale) the loop cannot see a
            // load step: the fallback only starts then. Outside those windows the fuse must hold.
            let stale = scenario.settings.fuse.meterStaleAfter + scenario.meterPeriod
            let blind = scenario.meterOutages.map { ($0.start, $0.start + $0.duration + stale) }
            var run = 0.0, longest = 0.0
            let summary = simulator.run { tick in
                let above = zip(tick.grid, scenario.settings.fuse.limit!).contains { $0 > $1 + 1e-9 }
                let blindNow = blind.contains { tick.time >= $0.0 && tick.time <= $0.1 }
                run = above && !blindNow ? run + scenario.meterPeriod : 0
                longest = max(longest, run)
                for (index, setpoint) in tick.setpoints.enumerated() {
                    let limits = scenario.chargers[index].limits
                    if setpoint != 0, !(limits.minCurrent...limits.maxCurrent).contains(setpoint) { badTick = "setpoint \(setpoint) at \(tick.time)" }
                }
            }
            sites += 1
            simulated += summary.simulatedSeconds
            // above the fuse for at most one meter period (the sample that showed the jump)
            #expect(longest <= scenario.meterPeriod + 1e-9,
                    "site \(index): \(longest) s above the fuse, max \(summary.maxGridCurrent), \(scenario.settings.fuse.meterLocation), \(scenario.chargers.map { "\($0.mode) \($0.limits.minCurrent)-\($0.limits.maxCurrent) sw \($0.limits.canSwitchPhases) ev \($0.evs[0].phases)p" }), fuse \(scenario.settings.fuse.limit![0])")
            #expect(summary.setpointViolations == 0 && badTick == nil, "site \(index): \(badTick ?? "")")
            #expect(summary.cooldownViolations == 0, "site \(index): phase switches closer than the cooldown")
        }
        #expect(sites == (count + 1 - part) / 2 && simulated > 400 * Double(sites))
    }

    @Test func withoutAFuseLimitNothingIsCappedByTheFuse() throws {
        var scenario = SiteScenario()
        scenario.duration = 120
        scenario.chargers = [.init(id: "a", limits: ChargerLimits(maxCurrent: 16), mode: .maxHybrid, evs: [SimulatedEV(arrival: 0, maxCurrent: 32)])]
        var simulator = try SiteSimulator(scenario: scenario)
        var last: SiteSimulator.Tick?
        _ = simulator.run { last = $0 }
        #expect(last?.setpoints == [16])
        #expect(last?.evCurrents[0] == [16, 16, 16])
    }

    static let scenarioFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("etc/scenarios")

    /// Every file shipped, so a new scenario is checked without being listed here.
    static var shippedScenarios: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: scenarioFolder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func theScenariosAreFoundAndTheSeedRuleOnesRunElsewhere() {
        #expect(Self.shippedScenarios.count >= 12)
        // the seed-rule scenarios run with the same checks in SeedRuleScenarioTests: not twice
        #expect(Set(SeedRuleScenarioTests.covered.map { $0 + ".yaml" }).isSubset(of: Self.shippedScenarios))
    }

    /// One case per scenario, so the long ones run side by side.
    @Test(arguments: shippedScenarios.filter { !SeedRuleScenarioTests.covered.map { $0 + ".yaml" }.contains($0) })
    func aShippedScenarioLoadsAndKeepsTheFuse(_ name: String) throws {
        let scenario = try ScenarioLoader.load(file: Self.scenarioFolder.appendingPathComponent(name).path)
        var simulator = try SiteSimulator(scenario: scenario)
        let summary = simulator.run()
        #expect(summary.longestAboveFuse <= scenario.meterPeriod + 1e-9, "\(name)")
        #expect(summary.setpointViolations == 0 && summary.cooldownViolations == 0, "\(name)")
        #expect(summary.evEnergyWh > 0, "\(name)")
        // every zone holds its limit, but for the one sample that shows a jump of its other loads
        for (zone, longest) in summary.longestAboveZoneLimit { #expect(longest <= scenario.meterPeriod + 1e-9, "\(name): \(zone)") }
        #expect(summary.refusedEvents.isEmpty, "\(name): \(summary.refusedEvents)")
        if name == "car-park-zones.yaml" { #expect(summary.zoneMaxCurrent.count == 4) }
    }
}
