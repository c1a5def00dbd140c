import Testing
@testable import EnergyControl

/// The single-site loops with time as a parameter.
@Suite("Site control loops")
struct SiteControllerTests {
    func charger(_ id: String = "c", currents: [Double] = [0, 0, 0], mode: ChargeMode = .maxHybrid, phases: Int = 3,
                 switching: Bool = false, min: Int = 6, max: Int = 32, plugged: Bool = true, forced: Bool = false) -> ChargerControlInput {
        var status = ChargerStatus()
        status.currents = currents
        status.activePhases = phases
        status.cable = plugged ? .vehicleLocked : .noCable
        status.state = plugged ? .charging : .available
        return ChargerControlInput(id: id, limits: ChargerLimits(minCurrent: min, maxCurrent: max, phases: 3, canSwitchPhases: switching),
                                   status: status, mode: mode, forced: forced)
    }

    func settings(fuse: Double? = 25) -> SiteSettings {
        var settings = SiteSettings()
        settings.fuse.limit = fuse.map { [$0, $0, $0] }
        settings.ramp.increaseInterval = 0
        settings.fuse.resumeDelay = 0
        return settings
    }

    @Test func fuseIncludingTheChargers() {
        var control = SiteController(settings: settings())
        // grid 30 A per phase of which the EV draws 16 A: other loads 14 A, 25 − 14 = 11 A left
        control.record(GridSample(time: 0, currents: [30, 30, 30], power: 20_700))
        let out = control.step(now: 0, chargers: [charger(currents: [16, 16, 16])], inputs: SiteInputs())
        #expect(out[0].cap == CurrentCap(11, .fuse))
    }

    @Test func anAbsurdChargerReportCannotFreeFuseCurrent() {
        // grid 20 A with the chargers counted in: an inflated or infinite report of what the charger
        // draws would make the other loads look negative and hand out current that is not there
        for report in [[Double.infinity, .infinity, .infinity], [60, 60, 60], [.nan, 5], [-40, -40, -40]] {
            var control = SiteController(settings: settings())
            control.record(GridSample(time: 0, currents: [20, 20, 20], power: 13_800))
            let out = control.step(now: 0, chargers: [charger(currents: report, max: 32)], inputs: SiteInputs())
            // counted at most at the charger's 32 A ceiling: 25 − (20 − 32) = 37 A would be the worst; the cap stays ≤ 32 A
            // and for the non-finite, short or negative reports the charger counts as drawing 0 A: 25 − 20 = 5 A
            let expected: Double = report == [60, 60, 60] ? 32 : 5
            #expect(out[0].cap.map { $0.amperes <= expected } == true, "\(report): \(String(describing: out[0].cap))")
        }
    }

    @Test func aCommunicationBlipDoesNotSkipTheIncreaseDelay() {
        var s = settings()
        s.ramp.increaseInterval = 3
        s.fuse.meterLocation = .excluding
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [15, 15, 15], power: 10_000))
        #expect(control.step(now: 0, chargers: [charger(currents: [10, 10, 10])], inputs: SiteInputs())[0].cap?.amperes == 10)
        var lost = charger(currents: [0, 0, 0])
        lost.status.online = false
        #expect(control.step(now: 0.5, chargers: [lost], inputs: SiteInputs())[0].cap?.reason == .offline)
        // back, and the other loads are gone: the increase to 25 A still waits its interval
        control.record(GridSample(time: 1, currents: [0, 0, 0], power: 0))
        #expect(control.step(now: 1, chargers: [charger(currents: [0, 0, 0])], inputs: SiteInputs())[0].cap.map { $0.amperes < 25 } == true)
        control.record(GridSample(time: 4, currents: [0, 0, 0], power: 0))
        #expect(control.step(now: 4, chargers: [charger(currents: [0, 0, 0])], inputs: SiteInputs())[0].cap?.amperes == 25)
    }

    @Test func fuseExcludingTheChargersAndHeadroom() {
        var s = settings()
        s.fuse.meterLocation = .excluding
        s.fuse.headroom = [2, 2, 2]
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [10, 14.5, 12], power: 8000))
        // min over phases: 25 − 2 − 14.5 = 8.5 → 8 A (whole amperes)
        let v1 = control.step(now: 0, chargers: [charger()], inputs: SiteInputs())
        #expect(v1[0].cap == CurrentCap(8, .fuse))
    }

    @Test func aSinglePhaseCarOnlyCountsItsPhase() {
        var s = settings()
        s.fuse.meterLocation = .excluding
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [5, 24, 24], power: 8000))
        let v2 = control.step(now: 0, chargers: [charger(currents: [10, 0, 0])], inputs: SiteInputs())
        #expect(v2[0].cap == CurrentCap(20, .fuse))
    }

    @Test func belowTheMinimumPausesAndResumesOnlyWithHysteresisAfterTheDelay() {
        var s = settings()
        s.fuse.meterLocation = .excluding
        s.fuse.resumeDelay = 10
        s.fuse.resumeHysteresis = 2
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [20, 20, 20], power: 0))           // 5 A left
        let v3 = control.step(now: 0, chargers: [charger()], inputs: SiteInputs())
        #expect(v3[0].cap?.amperes == 0)
        control.record(GridSample(time: 1, currents: [18, 18, 18], power: 0))           // 7 A: above min, below min + 2
        let v4 = control.step(now: 1, chargers: [charger()], inputs: SiteInputs())
        #expect(v4[0].cap == CurrentCap(0, .belowMinimum))
        control.record(GridSample(time: 2, currents: [16, 16, 16], power: 0))           // 9 A
        let v5 = control.step(now: 2, chargers: [charger()], inputs: SiteInputs())
        #expect(v5[0].cap?.amperes == 0)
        control.record(GridSample(time: 12, currents: [16, 16, 16], power: 0))
        let v6 = control.step(now: 12, chargers: [charger()], inputs: SiteInputs())
        #expect(v6[0].cap == CurrentCap(9, .fuse))
    }

    /// An idle charger must not keep a share: two chargers, one car, a 25 A fuse. When the second
    /// car plugs in, the two together still fit, and the newcomer is served at the next step.
    @Test func anEmptyChargerHoldsNoShareOfTheFuse() {
        var s = settings()
        s.fuse.meterLocation = .excluding
        s.fuse.resumeDelay = 30
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [5, 5, 5], power: 0))
        let first = control.step(now: 0, chargers: [charger("a"), charger("b", plugged: false)], inputs: SiteInputs())
        #expect(first.map(\.cap) == [CurrentCap(20, .fuse), CurrentCap(0, .noVehicle)])
        let second = control.step(now: 0.1, chargers: [charger("a", currents: [20, 20, 20]), charger("b")], inputs: SiteInputs())
        #expect(second.map(\.cap) == [CurrentCap(10, .fuse), CurrentCap(10, .fuse)])   // no resume delay for the newcomer
    }

    @Test func decreasesAreImmediateIncreasesRateLimited() {
        var s = settings()
        s.fuse.meterLocation = .excluding
        s.ramp.increaseInterval = 5
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [5, 5, 5], power: 0))
        let v7 = control.step(now: 0, chargers: [charger()], inputs: SiteInputs())
        #expect(v7[0].cap?.amperes == 20)
        control.record(GridSample(time: 0.5, currents: [15, 15, 15], power: 0))         // load jumps: at once
        let v8 = control.step(now: 0.5, chargers: [charger()], inputs: SiteInputs())
        #expect(v8[0].cap?.amperes == 10)
        control.record(GridSample(time: 1, currents: [5, 5, 5], power: 0))              // load drops: wait
        let v9 = control.step(now: 1, chargers: [charger()], inputs: SiteInputs())
        #expect(v9[0].cap?.amperes == 10)
        control.record(GridSample(time: 5.6, currents: [5, 5, 5], power: 0))
        let v10 = control.step(now: 5.6, chargers: [charger()], inputs: SiteInputs())
        #expect(v10[0].cap?.amperes == 20)
        control.record(GridSample(time: 20, currents: [4.5, 4.5, 4.5], power: 0))       // +0.5 A: inside the dead band
        let v11 = control.step(now: 20, chargers: [charger()], inputs: SiteInputs())
        #expect(v11[0].cap?.amperes == 20)
    }

    @Test func meterLossFallsBackAndRecovers() {
        var s = settings()
        s.fuse.fallbackCurrent = 6
        s.fuse.meterStaleAfter = 2
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [5, 5, 5], power: 0))
        let v12 = control.step(now: 1, chargers: [charger()], inputs: SiteInputs())
        #expect(v12[0].cap?.reason == .fuse)
        let v13 = control.step(now: 3, chargers: [charger()], inputs: SiteInputs())
        #expect(v13[0].cap == CurrentCap(6, .meterLost))
        let v14 = control.record(GridSample(time: 3.5, currents: [.nan, 5, 5], power: 0))
        #expect(!v14)   // NaN never counts
        let v15 = control.step(now: 3.5, chargers: [charger()], inputs: SiteInputs())
        #expect(v15[0].cap?.reason == .meterLost)
        control.record(GridSample(time: 4, currents: [5, 5, 5], power: 0))
        let v16 = control.step(now: 4, chargers: [charger()], inputs: SiteInputs())
        #expect(v16[0].cap?.reason == .fuse)
        var stop = SiteController(settings: settings())                                // default fallback: 0 A
        let v17 = stop.step(now: 0, chargers: [charger()], inputs: SiteInputs())
        #expect(v17[0].cap?.amperes == 0)
    }

    /// EVC08 §16.2.1: sun hybrid, solar gives 3 A, minimum 6 A → charge at 8 A, 5 A from the grid.
    @Test func evc08SunHybridExample() {
        var control = SiteController(settings: settings(fuse: nil))
        // EV at 8 A on one phase (1840 W) while the grid imports 1150 W: surplus 690 W = 3 A
        control.record(GridSample(time: 0, currents: [5, 0, 0], power: 1150))
        let out = control.step(now: 0, chargers: [charger(currents: [8, 0, 0], mode: .sunHybrid, phases: 1)], inputs: SiteInputs())
        #expect(out[0].cap?.amperes == 8)
        // with 12 A of surplus it follows the sun
        control.record(GridSample(time: 1, currents: [-4, 0, 0], power: -920))
        let v18 = control.step(now: 1, chargers: [charger(currents: [8, 0, 0], mode: .sunHybrid, phases: 1)], inputs: SiteInputs())
        #expect(v18[0].cap
                == CurrentCap(12, .sun))
    }

    /// EVC08 §13.1: load shedding active → every charger limited to the load-shedding minimum (8 A).
    @Test func evc08LoadSheddingExample() {
        var control = SiteController(settings: settings(fuse: 63))
        control.record(GridSample(time: 0, currents: [10, 10, 10], power: 6900))
        var inputs = SiteInputs()
        inputs.loadShedding = true
        let out = control.step(now: 0, chargers: [charger("a"), charger("b")], inputs: inputs)
        #expect(out.map(\.cap) == [CurrentCap(8, .loadShedding), CurrentCap(8, .loadShedding)])
        inputs.loadShedding = false
        inputs.enabled = false
        let v19 = control.step(now: 1, chargers: [charger("a")], inputs: inputs)
        #expect(v19[0].cap?.reason == .enable)
    }

    @Test func digitalInputReductionsLowestWinsAndDowngrade() {
        var s = settings(fuse: 100)
        s.fuse.meterLocation = .excluding
        s.inputs.reductionPercent = [70, 50, 10]
        s.inputs.downgradeOffset = [20, 20, 20]
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [0, 0, 0], power: 0))
        var inputs = SiteInputs()
        inputs.reductions = [0, 1]
        let v20 = control.step(now: 0, chargers: [charger(max: 80)], inputs: inputs)
        #expect(v20[0].cap == CurrentCap(50, .reduction))
        inputs.reductions = []
        inputs.downgrade = true
        let v21 = control.step(now: 1, chargers: [charger(max: 90)], inputs: inputs)
        #expect(v21[0].cap == CurrentCap(80, .fuse))
    }

    @Test func sunOnlyStartsAfterTheDelayAndRidesOutClouds() {
        var s = settings(fuse: nil)
        s.sun.startDelay = 30
        s.sun.stopDelay = 60
        var control = SiteController(settings: s)
        func step(_ t: Double, grid: Double, ev: [Double]) -> CurrentCap? {
            control.record(GridSample(time: t, currents: [0, 0, 0], power: grid))
            return control.step(now: t, chargers: [charger(currents: ev, mode: .sunOnly)], inputs: SiteInputs())[0].cap
        }
        #expect(step(0, grid: -5000, ev: [0, 0, 0])?.amperes == 0)            // 7.2 A surplus, waiting
        #expect(step(29, grid: -5000, ev: [0, 0, 0])?.amperes == 0)
        #expect(step(31, grid: -5000, ev: [0, 0, 0]) == CurrentCap(7, .sun))
        #expect(step(40, grid: 1000, ev: [7, 7, 7])?.amperes == 6)            // cloud: 3830 W < 4140 W, hold the minimum
        #expect(step(70, grid: 1000, ev: [6, 6, 6])?.amperes == 6)
        #expect(step(101, grid: 1000, ev: [6, 6, 6]) == CurrentCap(0, .sun))  // stayed below for 60 s: stop
    }

    @Test func phaseSwitchingWithDelaysPauseAndCooldown() {
        var s = settings(fuse: nil)
        s.phaseSwitching.toOnePhaseDelay = 60
        s.phaseSwitching.toThreePhaseDelay = 60
        s.phaseSwitching.pauseBeforeSwitch = 5
        s.phaseSwitching.cooldown = 300
        s.phaseSwitching.minimumHold = 300
        var control = SiteController(settings: s)
        var phases = 3
        func step(_ t: Double, surplus: Double, plugged: Bool = true) -> ChargerControlOutput {
            control.record(GridSample(time: t, currents: [0, 0, 0], power: -surplus))
            let out = control.step(now: t, chargers: [charger(mode: .sunHybrid, phases: phases, switching: true, plugged: plugged)], inputs: SiteInputs())[0]
            if let request = out.phases { phases = request }
            return out
        }
        #expect(step(0, surplus: 2000).phases == nil)                     // below 4140 W, timer starts
        #expect(step(59, surplus: 2000).cap?.reason != .phaseSwitch)
        #expect(step(61, surplus: 2000).cap == CurrentCap(0, .phaseSwitch)) // pause before switching
        #expect(step(63, surplus: 2000).phases == nil)
        let switched = step(67, surplus: 2000)
        #expect(switched.phases == 1 && switched.cap == CurrentCap(0, .phaseSwitch))
        #expect(step(68, surplus: 2000).cap?.reason != .phaseSwitch)       // confirmed
        #expect(phases == 1)
        // lots of sun right away: the cooldown holds 1 phase for 300 s after the switch
        #expect(step(100, surplus: 9000).cap?.reason != .phaseSwitch)
        #expect(step(300, surplus: 9000).cap?.reason != .phaseSwitch)
        #expect(step(369, surplus: 9000).cap == CurrentCap(0, .phaseSwitch))
        // never with nothing plugged in
        var unplugged = SiteController(settings: s)
        for t in stride(from: 0.0, through: 400, by: 10) {
            unplugged.record(GridSample(time: t, currents: [0, 0, 0], power: -500))
            let out = unplugged.step(now: t, chargers: [charger(mode: .sunOnly, phases: 3, switching: true, plugged: false)], inputs: SiteInputs())[0]
            #expect(out.phases == nil && out.cap?.reason != .phaseSwitch)
        }
    }

    @Test func aFailedSwitchLeavesThePhasesUnchanged() {
        var switcher = PhaseSwitcher(phases: 3)
        var s = PhaseSwitchSettings()
        s.toOnePhaseDelay = 0
        s.pauseBeforeSwitch = 0
        s.cooldown = 100
        s.minimumHold = 100
        _ = switcher.step(surplusW: 0, wanted: nil, plugged: true, reportedPhases: 3, minimum: 6, voltage: 230, settings: s, now: 1000)
        let request = switcher.step(surplusW: 0, wanted: nil, plugged: true, reportedPhases: 3, minimum: 6, voltage: 230, settings: s, now: 1001)
        #expect(request.request == 1)
        let failed = switcher.step(surplusW: 0, wanted: nil, plugged: true, reportedPhases: 3, minimum: 6, voltage: 230, settings: s, now: 1020)
        #expect(failed == PhaseSwitcher.Output(request: 3, pause: false))
        #expect(switcher.phases == 3 && switcher.phase == .steady)
        let soon = switcher.step(surplusW: 0, wanted: nil, plugged: true, reportedPhases: 3, minimum: 6, voltage: 230, settings: s, now: 1030)
        #expect(soon.request == nil && !soon.pause)                     // cooldown after the failure
    }

    @Test func debouncedInputs() {
        var input = DebouncedInput(initial: false, debounce: 2, now: 0)
        let a = input.update(true, now: 1)
        let b = input.update(false, now: 1.5)         // a glitch
        let c = input.update(true, now: 2)
        #expect(!a && !b && !c && !input.value)
        let changed = input.update(true, now: 4)
        #expect(changed && input.value)
    }

    /// Review fixes: the ramp holds when the fuse share is the charger's full maximum, the meter-lost
    /// fallback respects a reduction, a charger held at exactly its minimum still resumes.
    @Test func anIncreaseToTheFullMaximumStillWaitsForTheRamp() {
        var s = settings(fuse: 100)
        s.ramp.increaseInterval = 3
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [0, 0, 0], power: 0))
        var shedding = SiteInputs()
        shedding.loadShedding = true
        #expect(control.step(now: 0, chargers: [charger()], inputs: SiteInputs())[0].cap == CurrentCap(32, .chargerMax))
        #expect(control.step(now: 1, chargers: [charger()], inputs: shedding)[0].cap?.amperes == 8)
        #expect(control.step(now: 2, chargers: [charger()], inputs: SiteInputs())[0].cap?.amperes == 8)    // not yet
        #expect(control.step(now: 4, chargers: [charger()], inputs: SiteInputs())[0].cap?.amperes == 32)
    }

    @Test func theMeterLostFallbackNeverExceedsTheReducedFuse() {
        var s = settings(fuse: 16)
        s.fuse.fallbackCurrent = 16
        s.inputs.reductionPercent = [25]
        var inputs = SiteInputs()
        inputs.reductions = [0]
        let available = PowerOptimizer.available(sample: nil, evCurrents: [0, 0, 0], settings: s, inputs: inputs, now: 0)
        #expect(available?.perPhase == [4, 4, 4])
    }

    @Test func aChargerHeldAtExactlyItsMinimumResumes() {
        var gate = PauseGate()
        var fuse = FuseSettings()
        fuse.resumeHysteresis = 2
        fuse.resumeDelay = 10
        #expect(gate.apply(0, minimum: 8, reachable: 8, settings: fuse, now: 0) == 0)
        #expect(gate.apply(8, minimum: 8, reachable: 8, settings: fuse, now: 1) == 0)
        #expect(gate.apply(8, minimum: 8, reachable: 8, settings: fuse, now: 11) == 8)
    }

    /// The sun-mode chargers share the export plus their own draw, not what a max-hybrid car already takes.
    @Test func theSunSurplusDoesNotCountOtherCarsDraw() {
        var s = settings(fuse: nil)
        s.sun.startDelay = 0
        var control = SiteController(settings: s)
        control.record(GridSample(time: 0, currents: [-1.5, -1.5, -1.5], power: -1000))      // 1 kW exported
        let busy = charger("busy", currents: [16, 16, 16], mode: .maxHybrid)                // 11 kW from the PV already
        let sunny = charger("sunny", mode: .sunOnly)
        let out = control.step(now: 0, chargers: [busy, sunny], inputs: SiteInputs())
        #expect(out[1].cap == CurrentCap(0, .sun))
    }
}

/// ZE Ready / EV Ready minimums (Schneider EV Charging Expert §1.1.1.1, Vestel EVC08 §16.2.1.2.2):
/// 8 A on one phase, 13 A on three; the minimum of the phases in use decides.
@Suite("Minimum current by phases")
struct MinimumByPhasesTests {
    static let zeReady = ChargerLimits(minCurrent: 8, maxCurrent: 32, phases: 3, canSwitchPhases: true).with(threePhase: 13)

    @Test func theMinimumFollowsThePhasesInUse() {
        let limits = Self.zeReady
        #expect(limits.minimum(phases: 1) == 8 && limits.minimum(phases: 3) == 13)
        #expect(limits.highestMinimum == 13 && limits.lowestMinimum == 8)
        #expect(limits.acceptsRequest(8) && !limits.acceptsRequest(7) && limits.acceptsRequest(0))
        // 10 A: enough on one phase, below the minimum on three (and when the phases are not known)
        #expect(SetpointPolicy.decide(request: 10, failsafe: false, limits: limits, phases: 1) == SetpointDecision(amperes: 10, reason: .ems))
        #expect(SetpointPolicy.decide(request: 10, failsafe: false, limits: limits, phases: 3) == SetpointDecision(amperes: 0, reason: .belowMinimum))
        #expect(SetpointPolicy.decide(request: 10, failsafe: false, limits: limits) == SetpointDecision(amperes: 0, reason: .belowMinimum))
        #expect(SetpointPolicy.decide(request: 13, failsafe: false, limits: limits, phases: 3) == SetpointDecision(amperes: 13, reason: .ems))
        // without a three-phase minimum nothing changes
        let plain = ChargerLimits(minCurrent: 6)
        #expect(plain.minimum(phases: 3) == 6 && plain.highestMinimum == 6)
    }

    @Test func aChargerSwitchedToOnePhaseChargesWhereThreePhasesCouldNot() {
        var settings = SiteSettings()
        settings.fuse.limit = [25, 25, 25]
        settings.ramp.increaseInterval = 0
        settings.fuse.resumeDelay = 0
        for (phases, currents, expected) in [(3, [0.0, 0, 0], 0), (1, [0.0, 0, 0], 10)] {
            var control = SiteController(settings: settings)
            // other loads 15 A per phase: 10 A left under the 25 A fuse
            control.record(GridSample(time: 0, currents: [15, 15, 15], power: 10_350))
            var status = ChargerStatus()
            status.currents = currents
            status.activePhases = phases
            status.cable = .vehicleLocked
            status.state = .charging
            let input = ChargerControlInput(id: "ze", limits: Self.zeReady, status: status, mode: .maxHybrid, forced: false)
            #expect(input.minimum == (phases == 1 ? 8 : 13))
            let out = control.step(now: 0, chargers: [input], inputs: SiteInputs())
            let cap = out[0].cap ?? CurrentCap(32, .ems)
            let decision = SetpointPolicy.decide(request: 32, failsafe: false, limits: Self.zeReady, caps: [cap], phases: input.phasesInUse)
            #expect(decision.amperes == expected, "\(phases) phase(s): \(decision)")
        }
    }
}

extension ChargerLimits {
    func with(threePhase: Int) -> ChargerLimits {
        var limits = self
        limits.minCurrentThreePhase = threePhase
        return limits
    }
}
