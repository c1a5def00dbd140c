import Testing
@testable import EnergyControl

/// The utility's power limit (§14a EnWG): the floor of the BNetzA ruling, the split of a power
/// budget among chargers, and the cap it puts on each charger in the site's control step.
@Suite("Utility power limit")
struct UtilityLimitTests {
    @Test func theFloorFollowsTheRulingsFormula() {
        #expect(Section14a.minimumPowerW(devices: 1) == 4200)
        #expect(abs(Section14a.minimumPowerW(devices: 2) - 7560) < 1e-6)          // 4.2 + 1 · 0.8 · 4.2 kW
        #expect(abs(Section14a.minimumPowerW(devices: 3) - 10_500) < 1e-6)        // 4.2 + 2 · 0.75 · 4.2 kW
        #expect(abs(Section14a.minimumPowerW(devices: 9) - 19_320) < 1e-6)        // 4.2 + 8 · 0.45 · 4.2 kW
        #expect(abs(Section14a.minimumPowerW(devices: 20) - (4200 + 19 * 0.45 * 4200)) < 1e-6)
        #expect(abs(Section14a.minimumPowerW(devices: 2, factor: 1) - 8400) < 1e-6)   // a grid operator's own factor
        var utility = UtilitySettings()
        #expect(abs(utility.floorW(chargers: 2) - 7560) < 1e-6)
        utility.controllableDevices = 3                                              // a heat pump counts too
        #expect(abs(utility.floorW(chargers: 2) - 10_500) < 1e-6)
    }

    @Test func aBudgetIsSharedEquallyAndWhatOneCannotUseGoesToTheOthers() {
        let claims = [PowerBudget.Claim(minimumW: 1380, maximumW: 2000), PowerBudget.Claim(minimumW: 4140, maximumW: 11_040),
                      PowerBudget.Claim(minimumW: 4140, maximumW: 11_040)]
        #expect(PowerBudget.split(12_000, claims) == [2000, 5000, 5000])
        // too little for three: the last pauses, the others share
        #expect(PowerBudget.split(7560, claims) == [2000, 5560, 0])
        // less than one minimum: the first charger that fits alone takes it
        #expect(PowerBudget.split(3000, claims) == [2000 + 0, 0, 0].enumerated().map { $0.offset == 0 ? 2000 : 0 })
        #expect(PowerBudget.split(0, claims) == [0, 0, 0])
        #expect(PowerBudget.split(.nan, claims) == [0, 0, 0])
    }

    @Test func sharesNeverExceedTheBudgetNorAMaximumAndAreZeroOrAtLeastTheMinimum() {
        var random = SeededRandom(seed: 14)
        for _ in 0..<2000 {
            let count = Int.random(in: 0...12, using: &random)
            let claims = (0..<count).map { _ in
                let minimum = [1380.0, 4140, 1840, 8970].randomElement(using: &random)!
                return PowerBudget.Claim(minimumW: minimum, maximumW: Double.random(in: 0...22_080, using: &random))
            }
            let budget = Double.random(in: 0...60_000, using: &random)
            let shares = PowerBudget.split(budget, claims)
            #expect(shares.reduce(0, +) <= budget + 1e-6)
            for (share, claim) in zip(shares, claims) {
                #expect(share <= claim.maximumW + 1e-6 && (share == 0 || share >= claim.minimumW - 1e-6), "\(share) for \(claim)")
            }
        }
    }

    @Test func theSiteStepCapsEachChargerByItsShareNeverBelowTheFloor() {
        var settings = SiteSettings()
        settings.ramp.increaseInterval = 0
        settings.fuse.resumeDelay = 0
        func charger(_ id: String) -> ChargerControlInput {
            var status = ChargerStatus()
            status.cable = .vehicleLocked
            status.state = .charging
            return ChargerControlInput(id: id, limits: ChargerLimits(minCurrent: 6, maxCurrent: 16), status: status, mode: .maxHybrid, forced: false)
        }
        var inputs = SiteInputs()
        inputs.utilityLimitW = 3000        // asked: 3 kW; two chargers keep the §14a floor of 7.56 kW
        var control = SiteController(settings: settings)
        let out = control.step(now: 0, chargers: [charger("a"), charger("b")], inputs: inputs)
        // 7 560 W / 2 = 3 780 W each is 5.5 A on three phases, below 6 A: b pauses, a gets 7 560 W = 10.9 A
        // (whole amperes leave the cap: 10 A)
        #expect(out[0].cap.map { $0.amperes <= 7560.0 / 690 && $0.amperes >= 10 && $0.reason == .utility } == true, "\(String(describing: out[0].cap))")
        #expect(out[1].cap == CurrentCap(0, .utility))
        // a higher limit: both share it
        inputs.utilityLimitW = 11_040
        let both = control.step(now: 1, chargers: [charger("a"), charger("b")], inputs: inputs)
        #expect(both.map { $0.cap?.amperes } == [8, 8])
        // at 245 V measured, the same power is fewer amperes: the limit holds in watts
        var high = charger("a")
        high.status.voltages = [245, 245, 245]
        var fresh = SiteController(settings: settings)
        inputs.utilityLimitW = 11_040
        let atHighVoltage = fresh.step(now: 0, chargers: [high], inputs: inputs)[0].cap?.amperes ?? 0
        #expect(atHighVoltage * 735 <= 11_040 + 1e-6 && atHighVoltage > 14, "\(atHighVoltage)")
        // a charger out of contact that last had 6 A keeps that out of the budget: the other gets the rest
        var lost = charger("b")
        lost.status.online = false
        lost.lastSetpoint = 6
        inputs.utilityLimitW = 11_040
        var withLost = SiteController(settings: settings)
        let remaining = withLost.step(now: 0, chargers: [charger("a"), lost], inputs: inputs)[0].cap?.amperes ?? 0
        #expect(remaining * 690 + 6 * 230 * 1.1 * 3 <= 11_040 + 1e-6 && remaining >= 9, "\(remaining)")   // 6 486 W left: 9.4 A
        // no limit: no utility cap
        inputs.utilityLimitW = nil
        #expect(control.step(now: 2, chargers: [charger("a"), charger("b")], inputs: inputs).allSatisfy { $0.cap?.reason != .utility })
    }

    /// The site's policy: priority chargers are served first and pause last; equal ones share equally.
    @Test func priorityChargersGetTheBudgetFirstAndPauseLast() {
        let threePhase = PowerBudget.Claim(minimumW: 4140, maximumW: 11_040)
        var first = threePhase, last = threePhase
        last.priority = true
        // 7.56 kW: one of three at 6 A; the priority one (last in the list) charges, with all of it
        #expect(PowerBudget.split(7560, [first, threePhase, last]) == [0, 0, 7560])
        // 12 kW: the priority one takes its maximum, the others share what is left only if both fit: one waits
        #expect(PowerBudget.split(12_000, [first, threePhase, last]) == [0, 0, 11_040])
        #expect(PowerBudget.split(20_000, [first, threePhase, last]) == [4480, 4480, 11_040])
        // equal priority: the highest pause order waits first, whatever the list order
        first.pauseOrder = 9
        #expect(PowerBudget.split(8400, [first, threePhase, threePhase]) == [0, 4200, 4200])
        // a smaller minimum that still fits beside the others charges although it comes later (and the
        // level rises from the bottom: it gets the rest)
        let onePhase = PowerBudget.Claim(minimumW: 1380, maximumW: 3680, pauseOrder: 10)
        #expect(PowerBudget.split(6000, [threePhase, first, onePhase]) == [4140, 0, 1860])
        // minimums first, then equal water-filling: a small maximum is filled, the rest goes on
        #expect(PowerBudget.split(6000, [PowerBudget.Claim(minimumW: 1380, maximumW: 2000), threePhase]) == [1860, 4140])
    }

    /// Priority by id tag (within the priority hours) and a forced charge reach the utility's share.
    @Test func theSiteStepSharesByPriorityTagsHoursAndForcedCharges() throws {
        var settings = SiteSettings()
        settings.ramp.increaseInterval = 0
        settings.fuse.resumeDelay = 0
        func charger(_ id: String, tag: String = "", forced: Bool = false) -> ChargerControlInput {
            var status = ChargerStatus()
            status.cable = .vehicleLocked
            status.state = .charging
            status.idTag = tag
            return ChargerControlInput(id: id, limits: ChargerLimits(minCurrent: 6, maxCurrent: 16), status: status, forced: forced)
        }
        var load = LoadSettings()
        load.priorityTags = ["boss"]
        load.prioritySchedule = WeeklyHours(hours: Set(0..<(7 * 24)).subtracting([2 * 24 + 20]))   // not Wednesday 20:00–21:00
        var inputs = SiteInputs()
        inputs.utilityLimitW = 7560                               // the floor of two: one charges at 6 A or more
        // (load management, with priority tags and hours, needs a site fuse and its meter)
        settings.fuse.limit = [100, 100, 100]
        let sample = GridSample(time: 0, currents: [0, 0, 0], power: 0)
        var control = SiteController(settings: settings, load: LoadManager(siteFuseOnly: load))
        control.record(sample)
        let noon = LocalTime(weekday: 3, secondOfDay: 12 * 3600)
        let chargers = [charger("a"), charger("b", tag: "boss")]
        #expect(control.step(now: 0, chargers: chargers, inputs: inputs, time: noon).map { $0.cap?.amperes } == [0, 10])
        // outside the priority hours the tag counts for nothing: the last plug pauses first again
        var other = SiteController(settings: settings, load: LoadManager(siteFuseOnly: load))
        other.record(sample)
        let evening = LocalTime(weekday: 3, secondOfDay: 20.5 * 3600)
        #expect(other.step(now: 0, chargers: chargers, inputs: inputs, time: evening).map { $0.cap?.amperes } == [10, 0])
        // a forced charge is served first too
        var forced = SiteController(settings: settings)
        forced.record(sample)
        #expect(forced.step(now: 0, chargers: [charger("a"), charger("b", forced: true)], inputs: inputs).map { $0.cap?.amperes } == [0, 10])
    }
}

/// G100 (Vestel EVC08 §16.2): the grid power beyond the connection's import or export limit for
/// longer than the excursion time is an excursion; short peaks are not.
@Suite("G100 connection limits")
struct ConnectionLimitTests {
    @Test func anExcursionIsReportedOnceAndItsEndToo() {
        var limits = ConnectionLimits(importLimitW: 20_000, exportLimitW: 5_000)
        limits.excursionAfter = 5
        var monitor = ConnectionLimitMonitor(limits: limits)
        #expect(monitor.observe(power: 25_000, now: 0).isEmpty)
        #expect(monitor.observe(power: 18_000, now: 3).isEmpty)              // a 3 s peak: nothing
        #expect(monitor.observe(power: 22_000, now: 10).isEmpty)
        #expect(monitor.observe(power: 23_000, now: 15) == [.exceeded(.import, watts: 23_000, limit: 20_000)])
        #expect(monitor.observe(power: 24_000, now: 16).isEmpty)             // said once
        #expect(monitor.observe(power: 10_000, now: 17) == [.restored(.import)])
        #expect(monitor.observe(power: -6_000, now: 20).isEmpty)
        #expect(monitor.observe(power: -6_000, now: 25) == [.exceeded(.export, watts: 6_000, limit: 5_000)])
        #expect(monitor.observe(power: .nan, now: 26).isEmpty && monitor.exceeded == [.export])
    }
}
