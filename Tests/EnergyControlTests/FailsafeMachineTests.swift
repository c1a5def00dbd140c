import Testing
@testable import EnergyControl

@Suite("Failsafe state machine (simulated time)")
struct FailsafeMachineTests {
    @Test func startsInFailsafeAtTheFailsafeCurrent() {
        let machine = FailsafeMachine(failsafeCurrent: 8, failsafeTimeout: 20, now: 0)
        #expect(machine.isFailsafe)
        #expect(machine.request == 8)
    }

    @Test func masterSequenceThenSilenceEntersFailsafeExactlyAfterTheTimeout() {
        var machine = FailsafeMachine(failsafeCurrent: 6, failsafeTimeout: 10, now: 0)
        // EVC08 §16.7.1: failsafe current, timeout and charging current first, then alive.
        machine.setFailsafeCurrent(8)
        machine.setFailsafeTimeout(4)
        machine.setChargingCurrent(16)
        #expect(machine.request == 8)                 // not alive yet
        let left = machine.alive(at: 1)
        #expect(left)                                 // leaves failsafe
        #expect(machine.request == 16)
        for t in stride(from: 1.0, through: 4.9, by: 0.5) {
            let entered = machine.tick(now: t)
            #expect(!entered)
        }
        let again = machine.alive(at: 3)
        #expect(!again)                                // already active
        let early = machine.tick(now: 7.0)
        #expect(!early)                                // 4 s after the last alive: still inside
        #expect(machine.remaining(now: 6.5) == 0.5)
        let entered = machine.tick(now: 7.01)
        #expect(entered)                               // entered now
        #expect(machine.isFailsafe && machine.request == 8)
        let twice = machine.tick(now: 100)
        #expect(!twice)                                // entered once only
        #expect(machine.remaining(now: 100) == nil)
    }

    @Test func aliveAgainLeavesFailsafeWithTheLastChargingCurrent() {
        var machine = FailsafeMachine(failsafeCurrent: 6, failsafeTimeout: 2, now: 0)
        machine.setChargingCurrent(12)
        machine.alive(at: 0)
        machine.tick(now: 3)
        #expect(machine.request == 6)
        machine.setChargingCurrent(0)                  // a new master pauses while still in failsafe
        #expect(machine.request == 6)
        let left = machine.alive(at: 4)
        #expect(left && machine.request == 0)
    }

    @Test func aShorterTimeoutTakesEffectAtOnce() {
        var machine = FailsafeMachine(failsafeCurrent: 0, failsafeTimeout: 60, now: 0)
        machine.alive(at: 0)
        machine.setFailsafeTimeout(5)
        let entered = machine.tick(now: 5.5)
        #expect(entered)
        #expect(machine.request == 0)
    }
}

@Suite("Setpoint policy")
struct SetpointPolicyTests {
    let limits = ChargerLimits(minCurrent: 6, maxCurrent: 16, cableMaxCurrent: nil, phases: 3)

    /// A request (register 5004 or 2000) above the cable's rating is refused, not accepted and then capped.
    @Test func requestsAboveTheCableAreRefused() {
        let cabled = ChargerLimits(minCurrent: 6, maxCurrent: 32, cableMaxCurrent: 20, phases: 3)
        #expect(cabled.acceptsRequest(20) && cabled.acceptsRequest(0))
        #expect(!cabled.acceptsRequest(21) && !cabled.acceptsRequest(5))
    }

    @Test func theLowestBoundWinsAndNamesItsReason() {
        #expect(SetpointPolicy.decide(request: 10, failsafe: false, limits: limits) == SetpointDecision(amperes: 10, reason: .ems))
        #expect(SetpointPolicy.decide(request: 10, failsafe: true, limits: limits) == SetpointDecision(amperes: 10, reason: .failsafe))
        #expect(SetpointPolicy.decide(request: 32, failsafe: false, limits: limits) == SetpointDecision(amperes: 16, reason: .chargerMax))
        let cable = ChargerLimits(minCurrent: 6, maxCurrent: 32, cableMaxCurrent: 20)
        #expect(SetpointPolicy.decide(request: 32, failsafe: false, limits: cable) == SetpointDecision(amperes: 20, reason: .cable))
        #expect(SetpointPolicy.decide(request: 16, failsafe: false, limits: limits, caps: [CurrentCap(9.7, .fuse)])
                == SetpointDecision(amperes: 9, reason: .fuse))
    }

    @Test func belowTheMinimumPausesAndZeroIsPause() {
        #expect(SetpointPolicy.decide(request: 16, failsafe: false, limits: limits, caps: [CurrentCap(5.9, .fuse)])
                == SetpointDecision(amperes: 0, reason: .belowMinimum))
        #expect(SetpointPolicy.decide(request: 0, failsafe: false, limits: limits).amperes == 0)
        #expect(SetpointPolicy.decide(request: 16, failsafe: false, limits: limits, caps: [CurrentCap(-3, .fuse)]).amperes == 0)
    }

    @Test func nanOrInfiniteCapsNeverRaiseTheSetpoint() {
        #expect(SetpointPolicy.decide(request: 16, failsafe: false, limits: limits, caps: [CurrentCap(.nan, .meterLost)]).amperes == 0)
        #expect(SetpointPolicy.decide(request: 12, failsafe: false, limits: limits, caps: [CurrentCap(.infinity, .sun)]).amperes == 12)
    }

    @Test func neverAboveAnyLimitForAnyInput() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let max = Int.random(in: 6...80, using: &generator)
            let limits = ChargerLimits(minCurrent: Int.random(in: 6...max, using: &generator), maxCurrent: max,
                                       cableMaxCurrent: Bool.random() ? Int.random(in: 6...80, using: &generator) : nil)
            let cap = Double.random(in: -10...100, using: &generator)
            let decision = SetpointPolicy.decide(request: Int.random(in: 0...100, using: &generator), failsafe: Bool.random(),
                                                 limits: limits, caps: [CurrentCap(cap, .fuse)])
            #expect(decision.amperes == 0 || (limits.minCurrent...limits.ceiling).contains(decision.amperes))
            #expect(Double(decision.amperes) <= Swift.max(0, cap))
        }
    }
}
