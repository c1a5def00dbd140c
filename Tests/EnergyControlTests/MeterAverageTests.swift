import Testing
@testable import EnergyControl

/// Meter averaging for noisy sites (Bender CC613 §7.4.1, Mennekes ECU §7): increases follow the
/// moving average, decreases act on every sample — the fuse is never given away to a dip.
@Suite("Meter averaging")
struct MeterAverageTests {
    static func sample(_ time: Double, _ amperes: Double) -> GridSample {
        GridSample(time: time, currents: [amperes, amperes, amperes], power: amperes * 690)
    }

    @Test func risesActAtOnceAndDropsFollowTheAverage() {
        var averager = SampleAverager(window: 10)
        #expect(averager.add(Self.sample(0, 20)).currents == [20, 20, 20])
        // the load drops to 10 A: the loops see the average (15 A), not the dip
        #expect(averager.add(Self.sample(1, 10)).currents == [15, 15, 15])
        // it rises to 30 A: at once
        #expect(averager.add(Self.sample(2, 30)).currents == [30, 30, 30])
        // ten seconds later only the last window counts
        var late = averager
        #expect(late.add(Self.sample(13, 10)).currents[0] == 10)   // 20 A and 10 A at 0…1 s are out; 30 A at 2 s too
        var off = SampleAverager(window: 0)
        #expect(off.add(Self.sample(0, 7)) == Self.sample(0, 7))
    }

    /// A house at 24 A whose load dips to 10 A for one second in five (a heater cycling) under a
    /// 32 A fuse: without averaging every dip hands the car 14 A it loses a second later; with
    /// averaging the increases follow the average, and no setpoint ever exceeds what the newest
    /// sample leaves.
    @Test func shortDipsNoLongerHandOutCurrentAndTheFuseHolds() {
        func run(average: Double) -> (raised: Double, overFuse: Bool) {
            var settings = SiteSettings()
            settings.fuse.limit = [32, 32, 32]
            settings.fuse.meterLocation = .excluding
            settings.fuse.meterAverage = average
            settings.ramp.increaseInterval = 0
            settings.fuse.resumeDelay = 0
            var control = SiteController(settings: settings)
            var status = ChargerStatus()
            status.cable = .vehicleLocked
            status.state = .charging
            var last: Double?
            var raised = 0.0, overFuse = false
            for second in 0..<120 {
                let load: Double = second % 5 == 4 ? 10 : 24
                control.record(Self.sample(Double(second), load))
                let charger = ChargerControlInput(id: "ev", limits: ChargerLimits(minCurrent: 6, maxCurrent: 32), status: status,
                                                  mode: .maxHybrid, forced: false)
                let cap = control.step(now: Double(second), chargers: [charger], inputs: SiteInputs())[0].cap?.amperes ?? 32
                if cap + load > 32 + 1e-9 { overFuse = true }
                if let last, cap > last { raised += cap - last }
                last = cap
            }
            return (raised, overFuse)
        }
        let raw = run(average: 0), averaged = run(average: 10)
        #expect(!raw.overFuse && !averaged.overFuse)
        #expect(averaged.raised * 4 < raw.raised, "raised by \(raw.raised) A in all without averaging, \(averaged.raised) A with")
    }
}
