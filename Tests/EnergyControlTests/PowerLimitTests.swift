import Testing
@testable import EnergyControl

/// Limits in kW (contracted power, zone `limit_kw`, G100 import) as a current per phase at the
/// voltages the meters measure at each step, nominal where a phase gives none or an absurd one.
@Suite("Power limits at measured voltages")
struct PowerLimitTests {
    @Test func aPowerBecomesTheCurrentPerPhaseAtTheVoltages() {
        #expect(PowerLimit.amperes(watts: 36_000, voltages: [230, 230, 230]) == 52.1)
        #expect(PowerLimit.amperes(watts: 36_000, voltages: [253, 253, 253]) == 47.4)
        #expect(PowerLimit.worstCaseAmperes(watts: 36_000) == 47.4)
        // unequal phases: P / (V1 + V2 + V3) on each, so Σ Vi · I ≤ P
        #expect(PowerLimit.amperes(watts: 36_000, voltages: [228, 235, 241]) == 51.1)
    }

    @Test func aMissingNaNOrAbsurdVoltageCountsAtNominal() {
        #expect(PowerLimit.voltages(nil) == [230, 230, 230])
        #expect(PowerLimit.voltages([]) == [230, 230, 230])
        #expect(PowerLimit.voltages([240, 240]) == [240, 240, 230])                       // a phase missing
        #expect(PowerLimit.voltages([.nan, 240, .infinity]) == [230, 240, 230])
        #expect(PowerLimit.voltages([0, 179.9, 270.1]) == [230, 230, 230])                // a lost phase, a sag, a 400 V mapping
        #expect(PowerLimit.voltages([180, 270, 400]) == [180, 270, 230])
        #expect(PowerLimit.amperes(watts: 36_000, voltages: [240, .nan, 240]) == PowerLimit.amperes(watts: 36_000, voltages: [240, 230, 240]))
        #expect(PowerLimit.amperes(watts: 36_000, voltages: []) == 52.1)
        #expect(PowerLimit.amperes(watts: .nan, voltages: []) == 0 && PowerLimit.amperes(watts: -5, voltages: []) == 0)
    }

    @Test func theStricterOfTheAmpereAndThePowerLimitWinsPerPhase() {
        #expect(PowerLimit.limit(amperes: [63, 50, 63], watts: 36_000, voltages: [230, 230, 230]) == [52.1, 50, 52.1])
        #expect(PowerLimit.limit(amperes: nil, watts: 36_000, voltages: [230, 230, 230]) == [52.1, 52.1, 52.1])
        #expect(PowerLimit.limit(amperes: [63, 63, 63], watts: nil, voltages: [230, 230, 230]) == [63, 63, 63])
        // no fresh reading: the worst case
        #expect(PowerLimit.limit(amperes: [63, 63, 63], watts: 36_000, voltages: nil) == [47.4, 47.4, 47.4])
        var fuse = FuseSettings()
        fuse.setFuse([63, 63, 63])
        fuse.addPowerLimit(watts: 36_000)
        fuse.addPowerLimit(watts: 40_000)                       // a G100 import limit above it: the lower power holds
        #expect(fuse.powerLimitW == 36_000 && fuse.limit == [47.4, 47.4, 47.4])
        #expect(fuse.limit(voltages: [230, 230, 230]) == [52.1, 52.1, 52.1] && fuse.limit(voltages: nil) == [47.4, 47.4, 47.4])
        let zone = ZoneSettings(id: "row", amperes: nil, watts: 11_000)
        #expect(zone.limit == [14.4, 14.4, 14.4] && zone.limit(voltages: [230, 230, 230]) == [15.9, 15.9, 15.9])
        #expect(ZoneSettings(id: "a", limit: [16, 16, 16]).limit(voltages: [200, 200, 200]) == [16, 16, 16])
    }

    /// A rise counts at once; a fall only once every sample of the window shows it.
    @Test func theHoldPassesRisesAndWaitsOutFalls() {
        var hold = VoltageHold()
        #expect(hold.add([230, 230, 230], at: 0) == [230, 230, 230])
        #expect(hold.add([245, 230, 230], at: 1) == [245, 230, 230])       // a rise: at once
        #expect(hold.add([220, 230, 230], at: 2) == [245, 230, 230])       // a fall: held
        #expect(hold.add([220, 230, 230], at: 5.9) == [245, 230, 230])
        #expect(hold.add([220, 230, 230], at: 6.5) == [220, 230, 230])     // 245 V at 1 s is out of the 5 s window
        #expect(hold.add(nil, at: 7) == [230, 230, 230])                   // no voltages: nominal, above 220 V
        #expect(hold.add([.nan, 300, 100], at: 20) == [230, 230, 230])
    }

    static func charging(_ id: String, draw: Double = 0) -> ChargerControlInput {
        var status = ChargerStatus()
        status.cable = .vehicleLocked
        status.state = .charging
        status.currents = [draw, draw, draw]
        return ChargerControlInput(id: id, limits: ChargerLimits(minCurrent: 6, maxCurrent: 63), status: status)
    }

    /// The site's contracted power at the grid meter's voltages: higher voltage, less current, at once;
    /// lower voltage, more current only after the hold and through the ramp.
    @Test func theSiteStepConvertsAtTheGridMetersVoltages() {
        var settings = SiteSettings()
        settings.fuse.addPowerLimit(watts: 36_000)
        settings.fuse.meterLocation = .excluding
        settings.ramp.increaseInterval = 0
        settings.fuse.resumeDelay = 0
        var control = SiteController(settings: settings)
        func step(_ time: Double, _ volts: [Double]?) -> Double? {
            control.record(GridSample(time: time, currents: [0, 0, 0], power: 0, voltages: volts))
            return control.step(now: time, chargers: [Self.charging("a")], inputs: SiteInputs())[0].cap?.amperes
        }
        #expect(step(0, [230, 230, 230]) == 52)
        #expect(control.limitInForce == [52.1, 52.1, 52.1])
        #expect(step(1, [253, 253, 253]) == 47)                      // a rise: the current falls at once
        #expect(step(2, [230, 230, 230]) == 47)                      // a fall: held…
        #expect(step(5, [230, 230, 230]) == 47)
        #expect(step(6.5, [230, 230, 230]) == 52)                    // …until it has lasted the window
        #expect(step(7, nil) == 52)                                  // a meter without voltages: nominal
        // the meter lost: the worst case (253 V)
        #expect(control.step(now: 20, chargers: [Self.charging("a")], inputs: SiteInputs())[0].cap?.reason == .meterLost)
        #expect(control.limitInForce == [47.4, 47.4, 47.4])
    }

    /// A zone in kW converts at its own meter's voltages while fresh, else at the grid meter's.
    @Test func aZoneConvertsAtItsMeterElseAtTheGridMeter() throws {
        var load = LoadSettings()
        var metered = ZoneSettings(id: "metered", amperes: [100, 100, 100], watts: 11_000)
        metered.dynamic = true
        load.zones = [metered, ZoneSettings(id: "plain", amperes: nil, watts: 11_000)]
        var manager = try LoadManager(settings: load, siteFuse: false)
        manager.record(zone: 0, GridSample(time: 0, currents: [0, 0, 0], power: 0, voltages: [250, 250, 250]))
        let chargers = [LoadChargerInput(id: "a", plug: 1, zone: 0, maximum: 63), LoadChargerInput(id: "b", plug: 2, zone: 1, maximum: 63)]
        func step(_ now: Double, grid: [Double]?) -> [Double?] {
            _ = manager.step(now: now, time: nil, chargers: chargers, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0],
                             site: nil, gridVoltages: grid)
            return manager.reports.map { $0.limit?[0] }
        }
        #expect(step(0, grid: [220, 220, 220]) == [14.6, 16.6])      // 11 kW at 250 V and at 220 V
        #expect(step(1, grid: nil) == [14.6, 14.4])                  // no fresh grid reading: the worst case
        #expect(step(10, grid: [230, 230, 230]) == [15.9, 15.9])      // the zone meter lost: at the grid meter's
        let outputs = manager.step(now: 11, time: nil, chargers: chargers, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0],
                                   site: nil, gridVoltages: [230, 230, 230])
        #expect(outputs[1].cap.amperes == 15)
    }
}
