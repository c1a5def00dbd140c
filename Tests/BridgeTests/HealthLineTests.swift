import EnergyControl
import OperatorStatus
import Testing

/// The health line stays one readable line on a large site, and states are spelled one way.
struct HealthLineTests {
    @Test func aBuildingAtItsFailsafeNamesThreeChargersAndCountsTheRest() {
        let ids = (1...20).map { "cp\($0)" }
        let health = HealthSummary(uptimeSeconds: 60, chargers: 20, chargersOffline: [], chargersInFailsafe: ids, metersOffline: ["grid"],
                                   gridMeter: "lost", storage: "ok", pendingWrites: 0)
        #expect(health.line == "health degraded: 20/20 chargers online, failsafe: cp1, cp2, cp3 and 17 more, meters offline: grid, grid meter lost, storage ok")
    }

    @Test func statesAreSpelledAsOnMQTT() {
        #expect(ChargePointState.suspendedEVSE.name == "suspended-evse")
        #expect(ChargePointState.suspendedEV.name == "suspended-ev")
        #expect(ChargePointState.charging.name == "charging")
    }
}
