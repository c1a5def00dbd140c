import ControlCore
import SimulatedDevices
import Testing
import EnergyControl
@testable import Simulation

@Suite("Simulated charger")
struct SimulatedChargerTests {
    let limits = ChargerLimits(minCurrent: 6, maxCurrent: 16, phases: 3, canSwitchPhases: true)

    @Test func anEVRampsUpToTheSetpointAndCutsAtOnce() {
        var charger = SimulatedCharger(limits: limits, evs: [SimulatedEV(arrival: 0, phases: 3, maxCurrent: 16)])
        charger.apply(setpoint: 16)
        charger.advance(to: 1)
        #expect(charger.status.currents[0] > 0 && charger.status.currents[0] < 16)    // ramping
        charger.advance(to: 10)
        #expect(charger.status.currents == [16, 16, 16])
        #expect(charger.status.state == .charging)
        charger.apply(setpoint: 8)
        charger.advance(to: 11)
        #expect(charger.status.currents == [8, 8, 8])                                // decrease at once
        charger.apply(setpoint: 0)
        charger.advance(to: 12)
        #expect(charger.status.currents == [0, 0, 0])
        #expect(charger.status.state == .suspendedEVSE)
    }

    @Test func aSinglePhaseCarLoadsOnlyL1AndCountsEnergy() {
        var charger = SimulatedCharger(limits: limits, evs: [SimulatedEV(arrival: 5, phases: 1, maxCurrent: 32)], energyWh: 1000)
        charger.apply(setpoint: 16)
        charger.advance(to: 4)
        #expect(charger.status.state == .available && charger.status.cable == .noCable)
        charger.advance(to: 3605)
        #expect(charger.status.currents == [16, 0, 0])
        // one hour at 16 A × 230 V, less the ramp
        #expect(abs(charger.status.sessionEnergyWh - 3680) < 20)
        #expect(abs(charger.status.energyWh - 1000 - charger.status.sessionEnergyWh) < 0.001)
    }

    @Test func itTapersWhenNearlyFullThenLeaves() {
        var charger = SimulatedCharger(limits: limits, evs: [SimulatedEV(arrival: 0, phases: 3, maxCurrent: 16, capacityWh: 5000, soc: 0.79, targetSoC: 0.9)])
        charger.apply(setpoint: 16)
        charger.advance(to: 120)
        #expect(charger.status.currents[0] < 16)                                    // tapering
        charger.advance(to: 3600)
        #expect(charger.vehicle == nil)                                              // full, left after a minute
        #expect(charger.status.currents == [0, 0, 0])
    }

    @Test func phaseSelectionOnlyWhereTheChargerCanSwitch() {
        var switching = SimulatedCharger(limits: limits, evs: [SimulatedEV(arrival: 0, phases: 3)])
        switching.select(phases: 1)
        switching.apply(setpoint: 10)
        switching.advance(to: 10)
        #expect(switching.status.currents == [10, 0, 0])
        var fixed = SimulatedCharger(limits: ChargerLimits(phases: 3), evs: [SimulatedEV(arrival: 0, phases: 3)])
        fixed.select(phases: 1)
        #expect(fixed.status.activePhases == 3)
    }

    @Test func neverDrawsAboveTheCeiling() {
        var charger = SimulatedCharger(limits: limits, evs: [SimulatedEV(arrival: 0, phases: 3, maxCurrent: 32)])
        charger.apply(setpoint: 40)
        charger.advance(to: 30)
        #expect(charger.setpoint == 16 && charger.status.currents[0] == 16)
    }
}
