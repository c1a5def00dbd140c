import OperatorStatus
import Testing

/// The energy-flow figures from the meters' roles and the chargers.
@Suite("Energy flow")
struct EnergyFlowTests {
    let chargers = [Fixture.charger("a", powerW: 7_000), Fixture.charger("b", powerW: 0), Fixture.charger("c", powerW: 5_000, online: false)]

    @Test func theHouseIsWhatTheGridPVAndBatteryGiveLessTheChargers() {
        let flow = EnergyFlow.of(meters: [Fixture.meter("grid", role: "grid", power: 5_000, currents: [12, 10, 9]),
                                          Fixture.meter("pv1", role: "pv", power: 3_000), Fixture.meter("pv2", role: "pv", power: -1_000),
                                          Fixture.meter("bat", role: "battery", power: -500)],
                                 chargers: chargers)
        #expect(flow.grid == .watts(5_000) && flow.gridCurrents == [12, 10, 9])
        #expect(flow.pv == .watts(4_000), "a PV meter that counts production negative is taken by its size")
        #expect(flow.battery == .watts(-500), "charging")
        #expect(flow.chargersW == 7_000 && flow.chargersOnline == 2 && flow.chargersCharging == 1, "the offline charger does not count")
        #expect(flow.house == .watts(1_500) && flow.houseBelowZeroW == nil)
    }

    @Test func exportAndMetersThatDisagree() {
        let flow = EnergyFlow.of(meters: [Fixture.meter("grid", role: "grid", power: -2_000), Fixture.meter("pv", role: "pv", power: 3_000)],
                                 chargers: chargers)
        #expect(flow.grid == .watts(-2_000))
        #expect(flow.house == .watts(0) && flow.houseBelowZeroW == -6_000, "−2 + 3 − 7 kW: the meters disagree, shown as 0")
    }

    @Test func missingAndOfflineMeters() {
        let none = EnergyFlow.of(meters: [Fixture.meter("sub", role: "shown", power: 100)], chargers: chargers)
        #expect(none.grid == .noMeter && none.pv == .noMeter && none.battery == .noMeter && none.house == .noMeter && none.gridCurrents == nil)
        let offline = EnergyFlow.of(meters: [Fixture.meter("grid", role: "grid", power: 100), Fixture.meter("pv", role: "pv", power: 1, online: false)],
                                    chargers: chargers)
        #expect(offline.pv == .unavailable && offline.house == .unavailable)
        let noPower = EnergyFlow.of(meters: [Fixture.meter("grid", role: "grid", power: nil, currents: [1, 2, 3])], chargers: [])
        #expect(noPower.grid == .unavailable && noPower.gridCurrents == [1, 2, 3] && noPower.house == .unavailable)
        let phases = SiteStatus.Meter(id: "grid", online: true, values: [("power.l1", 100), ("power.l2", 200), ("power.l3", 300)], role: "grid")
        #expect(EnergyFlow.of(meters: [phases], chargers: []).grid == .watts(600), "the phases added without a total")
    }

    @Test func aGridMeterBesideTheChargersSeesOnlyTheOtherLoads() {
        let flow = EnergyFlow.of(meters: [Fixture.meter("grid", role: "grid", power: 1_000)], chargers: chargers, gridIncludesChargers: false)
        #expect(flow.grid == .watts(8_000) && flow.house == .watts(1_000))
    }
}
