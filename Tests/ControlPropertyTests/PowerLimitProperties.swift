import Testing
@testable import EnergyControl

/// Properties of the kW limits at measured voltages, over random cases (fixed seed; `CB_PROPERTY_SCALE` scales the count).
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

}
