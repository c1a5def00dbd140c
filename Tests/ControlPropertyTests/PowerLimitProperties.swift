import Testing
import EnergyControl
@testable import Simulation

/// Properties of the kW limits at measured voltages and of the utility's power share by priority,
/// over random cases (fixed seed; `CB_PROPERTY_SCALE` scales the count).
@Suite("Power limit properties")
struct PowerLimitProperties {
    /// Whatever the voltages (plausible, absurd or missing) and the power, the phases at the
    /// converted current never carry more than the power at the voltages they really have — and
    /// a plausible voltage is taken as measured.
    @Test func theConvertedCurrentNeverCarriesMoreThanThePower() {
        var random = SeededRandom(seed: 25)
        for _ in 0..<PropertySize.cases(20_000) {
            let watts = Double.random(in: 100...2_000_000, using: &random)
            let volts = (0..<3).map { _ in Double.random(in: PowerLimit.plausibleVoltages, using: &random) }
            let amperes = PowerLimit.amperes(watts: watts, voltages: volts)
            #expect(volts.reduce(0) { $0 + $1 * amperes } <= watts + 1e-6, "\(watts) W at \(volts): \(amperes) A")
            #expect(amperes >= 0 && watts / volts.reduce(0, +) - amperes < 0.1 + 1e-9, "rounded down by less than 0.1 A")
            // with a fuse: the stricter per phase, never above either
            let fuse = (0..<3).map { _ in Double(Int.random(in: 6...400, using: &random)) }
            let limit = PowerLimit.limit(amperes: fuse, watts: watts, voltages: volts)!
            #expect(zip(limit, fuse).allSatisfy { $0 <= $1 } && volts.indices.reduce(0) { $0 + volts[$1] * limit[$1] } <= watts + 1e-6)
            // without a fresh reading: within the power up to the worst-case voltage
            let blind = PowerLimit.limit(amperes: nil, watts: watts, voltages: nil)!
            #expect(blind.allSatisfy { $0 * 3 * PowerLimit.worstCaseVoltage <= watts + 1e-6 })
        }
    }

    /// Random sites (those of the site properties) under a contracted power instead of a fuse, on a
    /// grid at random voltages per phase: no phase carries more than P / (V1 + V2 + V3) (so the import
    /// stays within the power) but for the sample that shows a step, and while the meter is out.
    @Test func aContractedPowerHoldsAtTheGridsVoltages() throws {
        var random = SeededRandom(seed: 27)
        var binding = 0
        let count = PropertySize.cases(100)
        for index in 0..<count {
            var scenario = SiteProperties.randomScenario(&random)
            let fuse = scenario.settings.fuse.limit![0]
            let volts = (0..<3).map { _ in Double.random(in: PowerLimit.plausibleVoltages, using: &random) }
            // above what the house alone can draw (its loads stay below (fuse − 2) · 230 W per phase)
            let watts = 3 * 230 * fuse * Double.random(in: 1...1.1, using: &random)
            // cars that want all they can get, so the limit binds
            for charger in scenario.chargers.indices { scenario.chargers[charger].mode = .now }
            scenario.settings.fuse.limit = nil
            scenario.settings.fuse.currentLimit = nil
            scenario.settings.fuse.addPowerLimit(watts: watts)
            scenario.meterVoltages = volts
            // the current per phase the power allows at these voltages, computed here, not by the code under test
            let perPhase = watts / volts.reduce(0, +)
            let stale = scenario.settings.fuse.meterStaleAfter + scenario.meterPeriod
            let blind = scenario.meterOutages.map { ($0.start, $0.start + $0.duration + stale) }
            var run = 0.0, longest = 0.0, highest = 0.0
            var simulator = try SiteSimulator(scenario: scenario)
            _ = simulator.run { tick in
                let importW = (0..<3).reduce(0) { $0 + max(0, tick.grid[$1]) * volts[$1] }
                let above = importW > watts + 1e-6 || tick.grid.contains { $0 > perPhase + 1e-9 }
                let blindNow = blind.contains { tick.time >= $0.0 && tick.time <= $0.1 }
                run = above && !blindNow ? run + scenario.meterPeriod : 0
                longest = max(longest, run)
                if !blindNow { highest = max(highest, tick.grid.max() ?? 0) }
            }
            #expect(longest <= scenario.meterPeriod + 1e-9, "site \(index): \(longest) s above \(watts) W at \(volts) V (\(highest) A of \(perPhase) A)")
            if highest > 0.95 * perPhase { binding += 1 }
        }
        #expect(binding * 4 >= count, "the power bound the cars at only \(binding) of \(count) sites")
    }

    /// A budget split by priority: never above the budget, never above a maximum, each share 0 or at
    /// least its minimum; a priority charger waits only when its minimum does not fit beside the
    /// priority chargers that charge (never to let a lower one charge); equal claims of one group
    /// that charge get equal shares.
    @Test func aPrioritySplitHoldsTheBudgetAndPausesPriorityLast() {
        var random = SeededRandom(seed: 26)
        for _ in 0..<PropertySize.cases(4000) {
            let count = Int.random(in: 0...12, using: &random)
            let claims = (0..<count).map { _ in
                let minimum = [1380.0, 4140, 1840, 8970].randomElement(using: &random)!
                return PowerBudget.Claim(minimumW: minimum, maximumW: [0, minimum, 22_080, Double.random(in: 0...22_080, using: &random)].randomElement(using: &random)!,
                                         priority: Int.random(in: 0..<3, using: &random) == 0, pauseOrder: Int.random(in: 1...6, using: &random))
            }
            let budget = Double.random(in: 0...60_000, using: &random)
            let shares = PowerBudget.split(budget, claims)
            #expect(shares.reduce(0, +) <= budget + 1e-6)
            for (share, claim) in zip(shares, claims) {
                #expect(share <= claim.maximumW + 1e-6 && (share == 0 || share >= claim.minimumW - 1e-6), "\(share) for \(claim)")
            }
            let chargingPriorityMinimums = claims.indices.filter { claims[$0].priority && shares[$0] > 0 }.reduce(0) { $0 + claims[$1].minimumW }
            let lowerCharges = claims.indices.contains { !claims[$0].priority && shares[$0] > 0 }
            for index in claims.indices where claims[index].priority && shares[index] == 0 && claims[index].maximumW >= claims[index].minimumW
                && claims[index].maximumW > 0 && lowerCharges {
                #expect(chargingPriorityMinimums + claims[index].minimumW > budget - 1e-6,
                        "priority \(index) waits while a lower one charges: \(claims) \(budget) → \(shares)")
            }
            // within a group, equal claims that both charge get the same
            for a in claims.indices { for b in claims.indices where a < b && claims[a] == claims[b] && shares[a] > 0 && shares[b] > 0 {
                #expect(abs(shares[a] - shares[b]) < 1e-6, "\(claims[a]): \(shares[a]) and \(shares[b])")
            } }
        }
    }
}
