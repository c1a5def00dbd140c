import EnergyControl
import Foundation
import RegisterMaps
import SimulatedDevices
import StorageModel
import Testing
@testable import Simulation

/// Each seed rule's shipped scenario (etc/scenarios) reproduces the numbers of the manual it cites.
@Suite("Seed rule scenarios")
struct SeedRuleScenarioTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped scenarios these tests run, with every check the shipped-scenario property makes
    /// (that property leaves them to these, so none runs twice).
    static let covered = ["contracted-power", "g100", "meter-averaging", "section-14a-dimming", "tic-off-peak", "uk-random-delay",
                          "ze-ready-minimums"]

    static func shipped(_ name: String) throws -> SiteScenario {
        try ScenarioLoader.load(file: root.appendingPathComponent("etc/scenarios/\(name).yaml").path)
    }

    /// Runs a scenario, handing every tick to `onTick`, and checks what every scenario must keep. Returns
    /// every charger's setpoint (and reason) at the listed times of day, the summary and the simulator (its events).
    static func run(_ scenario: SiteScenario, at clocks: [String] = [], onTick: (SiteSimulator.Tick) -> Void = { _ in })
        throws -> (points: [String: [SetpointDecision]], summary: SiteSimulator.Summary, simulator: SiteSimulator) {
        let times = Dictionary(uniqueKeysWithValues: clocks.map { (at($0, in: scenario), $0) })
        var points: [String: [SetpointDecision]] = [:]
        var simulator = try SiteSimulator(scenario: scenario)
        let summary = simulator.run { tick in
            if let clock = times[tick.time] { points[clock] = zip(tick.setpoints, tick.reasons).map { SetpointDecision(amperes: $0, reason: $1) } }
            onTick(tick)
        }
        #expect(summary.longestAboveFuse <= scenario.meterPeriod + 1e-9, "the fuse holds but for the sample that shows a step")
        for (zone, longest) in summary.longestAboveZoneLimit { #expect(longest <= scenario.meterPeriod + 1e-9, "\(zone)") }
        #expect(summary.setpointViolations == 0 && summary.cooldownViolations == 0 && summary.refusedEvents.isEmpty)
        #expect(summary.evEnergyWh > 0)
        return (points, summary, simulator)
    }

    /// Scenario seconds at a time of day ("HH:MM[:SS]"; before the start: the next day).
    static func at(_ clock: String, in scenario: SiteScenario) -> Seconds {
        let parts = clock.split(separator: ":").map { Double($0)! }
        let day = parts[0] * 3600 + parts[1] * 60 + (parts.count == 3 ? parts[2] : 0)
        return day >= scenario.startOfDay ? day - scenario.startOfDay : day + 86_400 - scenario.startOfDay
    }

    /// Circontrol DLM §5.2.1 (§7.4.4): 36 kW contracted, an MCCB of 50 A, 8 A minimum. The simulated
    /// meters report 230 V: 36 kW is 52.1 A per phase, 11 kW 15.9 A.
    @Test func contractedPowerAndAZoneInKilowatts() throws {
        let scenario = try Self.shipped("contracted-power")
        #expect(scenario.meterVoltages == nil && scenario.settings.voltage == 230)
        #expect(scenario.settings.fuse.powerLimitW == 36_000 && scenario.settings.fuse.limit(voltages: [230, 230, 230]) == [52.1, 52.1, 52.1])
        #expect(scenario.settings.fuse.limit == [47.4, 47.4, 47.4])                 // without a reading: at 253 V (never above 36 kW)
        #expect(scenario.load?.zones.first { $0.id == "row-b" }?.limit(voltages: [230, 230, 230]) == [15.9, 15.9, 15.9])   // 11 kW
        let (points, worstImportW, evCurrents) = try Self.runContractedPower(scenario)
        // building at 2 A: the contracted power leaves 50.1 A, the MCCB's 50 A is the stricter; row-b's 15.9 A feeds one car
        #expect(points["08:30"]?.map(\.amperes) == [17, 17, 15, 0])
        // building at 20.9 kW (30.3 A): the contracted power leaves the cars 21.8 A; two of them charge at 10 A
        #expect(points["09:30"]?.map(\.amperes) == [10, 10, 0, 0])
        #expect(worstImportW <= 36_000, "\(worstImportW) W")
        #expect(evCurrents.reduce(0, +) >= 20, "the cars keep what the building leaves")
    }

    /// The same site on a grid at 245 V: the meters' voltages convert the 36 kW (48.9 A, 11 kW 14.9 A),
    /// so the power still holds where a conversion at 230 V would let the site draw 6.5 % more.
    @Test func contractedPowerFollowsTheMeasuredVoltage() throws {
        var scenario = try Self.shipped("contracted-power")
        scenario.meterVoltages = [245, 245, 245]
        #expect(scenario.settings.fuse.limit(voltages: scenario.meterVoltages) == [48.9, 48.9, 48.9])
        let (points, worstImportW, _) = try Self.runContractedPower(scenario)
        // the contracted power leaves 47.0 A below the MCCB's 50 A; row-b's 14.9 A feeds one car
        #expect(points["08:30"]?.map(\.amperes) == [16, 16, 14, 0])
        #expect(points["09:30"]?.map(\.amperes) == [10, 10, 0, 0])       // 48.9 − 28.5 A: 10.2 A each
        #expect(worstImportW <= 36_000, "\(worstImportW) W")
    }

    /// Runs the contracted-power site: setpoints at 08:30 and 09:30, the highest import while the building
    /// draws 20 kW (at the meters' voltages) and the cars' currents then.
    static func runContractedPower(_ scenario: SiteScenario) throws -> (points: [String: [SetpointDecision]], worstImportW: Double, evCurrents: [Double]) {
        let volts = scenario.meterVoltages ?? [230, 230, 230]
        var worstImportW = 0.0, evCurrents = [Double]()
        let (points, _, _) = try Self.run(scenario, at: ["08:30", "09:30"]) { tick in
            if tick.time >= Self.at("09:01", in: scenario), tick.time < Self.at("10:00", in: scenario) {
                worstImportW = max(worstImportW, (0..<3).reduce(0) { $0 + tick.grid[$1] * volts[$1] })
                evCurrents = tick.evCurrents.map { $0.max() ?? 0 }
            }
        }
        return (points, worstImportW, evCurrents)
    }

    /// BNetzA BK6-22-300 Annex 1 §4.5.2: two 11 kW wallboxes dimmed keep 4.2 + 0.8 · 4.2 = 7.56 kW.
    @Test func section14aDimmingKeepsTheFloorOfTwoDevices() throws {
        let scenario = try Self.shipped("section-14a-dimming")
        var dimmedMostW = 0.0
        let (points, _, simulator) = try Self.run(scenario, at: ["17:30", "18:30", "19:30"]) { tick in
            guard tick.time >= Self.at("18:00:02", in: scenario), tick.time < Self.at("19:00", in: scenario) else { return }
            dimmedMostW = max(dimmedMostW, tick.evCurrents.joined().reduce(0, +) * 230)
        }
        #expect(points["17:30"]?.map(\.amperes) == [16, 16])
        // a 3.78 kW share is 5.5 A, below 6 A: one charges at 10 A (6.9 kW), the other waits
        #expect(points["18:30"] == [SetpointDecision(amperes: 10, reason: .utility), SetpointDecision(amperes: 0, reason: .utility)])
        #expect(points["19:30"]?.map(\.amperes) == [16, 16])
        #expect(dimmedMostW <= 7560 && dimmedMostW >= 6900, "\(dimmedMostW) W")
        let started = simulator.events.filter { $0.kind == EventKind.utilityLimitStarted.rawValue }
        #expect(started.count == 1 && started[0].detail.contains("7.56 kW"), "\(started)")
        #expect(simulator.events.contains { $0.kind == EventKind.utilityLimitEnded.rawValue })
    }

    /// Schneider §1.1.1.1, Vestel EVC08 §16.2.1.2.2: 8 A on one phase, 13 A on three.
    @Test func zeReadyMinimumsDependOnThePhases() throws {
        let scenario = try Self.shipped("ze-ready-minimums")
        let points = try Self.run(scenario, at: ["08:30", "09:30"]).points
        #expect(points["08:30"]?.map(\.amperes) == [0, 10])    // 10 A left: below 13 A on three phases, enough on one
        #expect(points["09:30"]?.map(\.amperes) == [13, 0])    // 13 A left on three phases; 7 A on one is below 8 A
    }

    /// Vestel EVC08 §16.1, §17: every session starts after 0…600 s; a forced charge at once.
    @Test func ukRandomDelayHoldsEveryStart() throws {
        let scenario = try Self.shipped("uk-random-delay")
        var firstSetpoint: [Int: [Seconds]] = [:], waited = Set<Int>(), last = [Int](repeating: 0, count: scenario.chargers.count)
        _ = try Self.run(scenario) { tick in
            for (index, amperes) in tick.setpoints.enumerated() {
                if tick.reasons[index] == .randomDelay { waited.insert(index) }
                if amperes > 0, last[index] == 0 { firstSetpoint[index, default: []].append(tick.time) }
                last[index] = amperes
            }
        }
        var delays: [Seconds] = []
        for (index, charger) in scenario.chargers.enumerated() {
            let starts = firstSetpoint[index] ?? []
            #expect(starts.count == charger.evs.count, "\(charger.id): \(starts)")
            for (ev, start) in zip(charger.evs, starts) { delays.append(start - ev.arrival) }
        }
        // drive-1 twice (a fresh delay each session), drive-2, then drive-3 forced
        #expect(delays.count == 4)
        for delay in delays.prefix(3) { #expect(delay > 1 && delay <= 600 + scenario.meterPeriod, "\(delays)") }
        #expect(delays[0] != delays[1])
        #expect(delays[3] <= 2 * scenario.meterPeriod && !waited.contains(2), "\(delays)")
    }

    /// Vestel EVC08 §16.2 G100: 23 kW import held, a 3.68 kW export watched and recorded.
    @Test func g100HoldsTheImportAndRecordsTheExport() throws {
        let scenario = try Self.shipped("g100")
        #expect(scenario.settings.fuse.limit == [30.3, 30.3, 30.3])          // 23 kW at 253 V, without a reading
        #expect(scenario.settings.fuse.limit(voltages: [230, 230, 230]) == [33.3, 33.3, 33.3])   // at the meters' 230 V
        var run = 0, longestRun = 0
        let simulator = try Self.run(scenario) { tick in
            run = tick.grid.reduce(0, +) * 230 > 23_000 ? run + 1 : 0
            longestRun = max(longestRun, run)
        }.simulator
        #expect(longestRun <= 1, "above 23 kW only in the sample that shows the cooker")
        let exceeded = simulator.events.filter { $0.kind == EventKind.connectionLimitExceeded.rawValue }
        #expect(exceeded.count == 1 && exceeded[0].detail.contains("export") && exceeded[0].detail.contains("3.68 kW"), "\(exceeded)")
        let restored = simulator.events.filter { $0.kind == EventKind.connectionLimitRestored.rawValue }
        #expect(restored.map(\.detail) == ["export"] && restored[0].at > exceeded[0].at)
    }

    /// Bender CC613 §7.4.1: a 30 s average hands the car less of a load's brief stops.
    @Test func meterAveragingHandsOutLessOfABriefDrop() throws {
        let averaged = try Self.shipped("meter-averaging")
        #expect(averaged.settings.fuse.meterAverage == 30)
        var plain = averaged
        plain.settings.fuse.meterAverage = 0
        func handedOut(_ scenario: SiteScenario) throws -> Int {
            var handed = 0, last: Int?
            _ = try Self.run(scenario) { tick in
                if let last, tick.time > 60, tick.setpoints[0] > last { handed += tick.setpoints[0] - last }
                last = tick.setpoints[0]
            }
            return handed
        }
        let withAverage = try handedOut(averaged), without = try handedOut(plain)
        #expect(without >= 23 * 7, "23 stops, about 9 A each: \(without)")
        #expect(Double(withAverage) < 0.7 * Double(without), "\(withAverage) A against \(without) A")
    }

    /// Vestel EVC08 §16.2 (TIC): the Linky's tariff decides off-peak; the windows stand in while it is silent.
    @Test func tariffFromTheMeterDecidesOffPeak() throws {
        let scenario = try Self.shipped("tic-off-peak")
        var started: Seconds?, stopped: Seconds?, last = 0
        let (points, _, simulator) = try Self.run(scenario, at: ["22:15", "02:30", "06:15"]) { tick in
            if tick.setpoints[0] > 0, last == 0, started == nil { started = tick.time }
            if tick.setpoints[0] == 0, last > 0 { stopped = tick.time }
            last = tick.setpoints[0]
        }
        #expect(points["22:15"] == [SetpointDecision(amperes: 0, reason: .offPeak)])   // the clock says off-peak, the meter HP
        let hc = Self.at("22:30", in: scenario), hp = Self.at("06:30", in: scenario)
        #expect(started.map { $0 >= hc && $0 <= hc + 600 + scenario.meterPeriod } == true, "\(String(describing: started))")
        #expect(points["02:30"]?.first?.amperes == 16)                                 // meter silent: the windows apply
        #expect(points["06:15"]?.first?.amperes == 16)                                 // the windows are over, the meter says HC
        #expect(stopped.map { $0 >= hp && $0 <= hp + 600 + scenario.meterPeriod } == true, "\(String(describing: stopped))")
        let changes = simulator.events.filter { $0.kind == EventKind.tariffChanged.rawValue }
        #expect(changes.count == 5 && changes.contains { $0.detail.contains("the off-peak windows apply") }, "\(changes.map(\.detail))")
    }

    @Test func badScenarioKeysNameFileLineAndField() {
        let charger = "chargers: [ { id: cp, zone: home, evs: [] } ]"
        for (yaml, message) in [
            ("site: { meter_average_s: 30 }\nchargers: [ { id: cp } ]", "needs fuse_a"),
            ("load_management: { zones: [ { id: home, limit_a: 32 } ] }\n\(charger)\ntariffs: [ { at: 0, index: 1 } ]", "tariffs are for"),
            ("load_management: { off_peak: { source: tic }, zones: [ { id: home, limit_a: 32 } ] }\n\(charger)", "needs tariffs"),
            ("load_management: { off_peak: { source: tic }, zones: [ { id: home, limit_a: 32 } ] }\n\(charger)\ntariffs: [ { at: 0, index: 150 } ]", "index"),
            ("chargers: [ { id: cp } ]\ninputs: [ { input: dimmer, at: 0, for_s: 10 } ]", "unknown input"),
        ] {
            do {
                _ = try ScenarioLoader.parse("duration_s: 60\n\(yaml)", file: "rules.yaml")
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect(error.description.contains(message) && error.description.contains("rules.yaml:"), "\(error.description)")
            }
        }
    }
}
