import Testing
@testable import EnergyControl

/// The sun modes' surplus from a grid meter, a PV meter and a house battery, and the PV meter's
/// check of the grid meter; time is a parameter.
@Suite("Solar surplus: PV and battery meters")
struct SolarSurplusTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let source: SurplusSource
        let grid: Double?
        let pv: Double?
        let battery: Double?
        var mayDischarge = false
        var carFirst = false
        let expected: Double?
        var description: String { name }
    }

    /// The sun chargers draw 1 000 W, the others 500 W; the house base load is 300 W; the meter includes the chargers.
    static let cases: [Case] = [
        Case(name: "grid export", source: .grid, grid: -2000, pv: nil, battery: nil, expected: 3000),
        Case(name: "grid lost", source: .grid, grid: nil, pv: 5000, battery: nil, expected: nil),
        Case(name: "pv only", source: .pv, grid: nil, pv: 4000, battery: nil, expected: 4000 - 300 - 500),
        Case(name: "pv at night reads negative: counts as 0", source: .pv, grid: nil, pv: -20, battery: nil, expected: -800),
        Case(name: "pv lost", source: .pv, grid: nil, pv: nil, battery: nil, expected: nil),
        Case(name: "battery discharge never surplus", source: .grid, grid: 0, pv: nil, battery: 1500, expected: 1000 - 1500),
        Case(name: "battery discharge allowed", source: .grid, grid: 0, pv: nil, battery: 1500, mayDischarge: true, expected: 1000),
        Case(name: "battery charging: the battery first", source: .grid, grid: -200, pv: nil, battery: -2000, expected: 1200),
        Case(name: "battery charging: the car first", source: .grid, grid: -200, pv: nil, battery: -2000, carFirst: true, expected: 3200),
        Case(name: "pv with charging battery: the battery first", source: .pv, grid: nil, pv: 4000, battery: -1000, expected: 2200),
        Case(name: "pv with charging battery: the car first", source: .pv, grid: nil, pv: 4000, battery: -1000, carFirst: true, expected: 3200),
        Case(name: "pv with discharging battery", source: .pv, grid: nil, pv: 1000, battery: 800, expected: 1000 - 300 - 500 - 800),
    ]

    @Test(arguments: cases)
    func theSurplus(_ c: Case) {
        var settings = SunSettings()
        settings.carMayDischargeBattery = c.mayDischarge
        settings.carBeforeBattery = c.carFirst
        let surplus = SolarSurplus.watts(source: c.source, grid: c.grid.map { GridSample(time: 0, currents: [0, 0, 0], power: $0) },
                                         pv: c.pv.map { PowerSample(time: 0, watts: $0) }, battery: c.battery.map { PowerSample(time: 0, watts: $0) },
                                         sunChargersW: 1000, otherChargersW: 500, location: .including, settings: settings)
        #expect(surplus == c.expected)
    }

    func charger(mode: ChargeMode, amperes: Double = 0) -> ChargerControlInput {
        var status = ChargerStatus()
        status.currents = [amperes, amperes, amperes]
        status.voltages = [230, 230, 230]
        status.activePhases = 3
        status.cable = .vehicleLocked
        status.state = .charging
        return ChargerControlInput(id: "c", limits: ChargerLimits(minCurrent: 6, maxCurrent: 32, phases: 3), status: status, mode: mode)
    }

    func pvController() -> SiteController {
        var settings = SiteSettings()
        settings.ramp.increaseInterval = 0
        settings.sun.startDelay = 10
        settings.fuse.resumeDelay = 0
        var control = SiteController(settings: settings)
        control.surplusSource = .pv
        return control
    }

    @Test func sunOnlyFollowsThePVMeterWithoutAGridMeter() {
        var control = pvController()
        // 300 W base load: 7 200 W of PV leaves 6 900 W = 10 A on three phases
        control.recordPV(PowerSample(time: 0, watts: 7200))
        #expect(control.step(now: 0, chargers: [charger(mode: .sunOnly)], inputs: SiteInputs())[0].cap == CurrentCap(0, .sun))
        control.recordPV(PowerSample(time: 10, watts: 7200))
        #expect(control.step(now: 10, chargers: [charger(mode: .sunOnly)], inputs: SiteInputs())[0].cap == CurrentCap(10, .sun))
        // a cloud: 5 000 W leaves 4 700 W = 6.8 A, the charger's own draw is not taken off again
        control.recordPV(PowerSample(time: 11, watts: 5000))
        #expect(control.step(now: 11, chargers: [charger(mode: .sunOnly, amperes: 10)], inputs: SiteInputs())[0].cap == CurrentCap(6, .sun))
        // the PV meter goes silent: after its stale time the sun modes have no surplus
        #expect(control.step(now: 17, chargers: [charger(mode: .sunOnly, amperes: 6)], inputs: SiteInputs())[0].cap == CurrentCap(0, .meterLost))
    }

    @Test func theCarDoesNotDrainTheHouseBattery() {
        var control = pvController()
        control.recordPV(PowerSample(time: 0, watts: 7200))
        control.recordBattery(PowerSample(time: 0, watts: 2300))     // discharging
        var out = control.step(now: 0, chargers: [charger(mode: .sunHybrid)], inputs: SiteInputs())
        // 7 200 − 300 − 2 300 = 4 600 W = 6.7 A, no more than the hybrid floor of 8 A
        #expect(out[0].cap == CurrentCap(8, .sun))
        control.settings.sun.carMayDischargeBattery = true
        out = control.step(now: 1, chargers: [charger(mode: .sunHybrid)], inputs: SiteInputs())
        #expect(out[0].cap == CurrentCap(10, .sun))
    }

    @Test func implausibleOrOlderPowerReadingsAreIgnored() {
        var control = pvController()
        let accepted = [control.recordPV(PowerSample(time: 5, watts: 1000)), control.recordPV(PowerSample(time: 4, watts: 9000)),
                        control.recordPV(PowerSample(time: 6, watts: .nan)), control.recordBattery(PowerSample(time: 6, watts: .infinity))]
        #expect(accepted == [true, false, false, false])
        #expect(control.lastPV == PowerSample(time: 5, watts: 1000))
    }

    @Test func theCrossCheckWarnsOnlyAfterItsPersistenceAndAtMostEveryQuarterHour() {
        var check = MeterCrossCheck()
        let exporting = GridSample(time: 0, currents: [0, 0, 0], power: -5000)
        let pv = PowerSample(time: 0, watts: 3000)
        #expect(check.observe(grid: exporting, pv: pv, battery: nil, now: 0) == nil)
        #expect(check.observe(grid: exporting, pv: pv, battery: nil, now: 29) == nil)
        let warning = check.observe(grid: exporting, pv: pv, battery: nil, now: 30)
        #expect(warning?.contains("5000 W of export, more than PV production 3000 W") == true, "\(String(describing: warning))")
        #expect(check.observe(grid: exporting, pv: pv, battery: nil, now: 60) == nil)
        #expect(check.observe(grid: exporting, pv: pv, battery: nil, now: 930) != nil)
        // within tolerance, or explained by the battery's discharge: nothing to say, and the wait starts over
        var quiet = MeterCrossCheck()
        #expect(quiet.observe(grid: GridSample(time: 0, currents: [0, 0, 0], power: -3250), pv: pv, battery: nil, now: 0) == nil)
        #expect(quiet.observe(grid: exporting, pv: pv, battery: PowerSample(time: 0, watts: 2000), now: 100) == nil)
        #expect(quiet.observe(grid: exporting, pv: pv, battery: nil, now: 101) == nil)
        #expect(quiet.observe(grid: exporting, pv: nil, battery: nil, now: 120) == nil)
        #expect(quiet.observe(grid: exporting, pv: pv, battery: nil, now: 140) == nil, "the PV reading was missing: the wait started over")
    }
}
