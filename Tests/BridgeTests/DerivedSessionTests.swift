@testable import ChargerDrivers
import EnergyControl
import Testing

/// Session values for chargers without session registers, counted from their energy meter.
@Suite("Derived session values")
struct DerivedSessionTests {
    func status(cable: CableState, energy: Double) -> ChargerStatus {
        var status = ChargerStatus()
        status.cable = cable
        status.energyWh = energy
        return status
    }

    @Test func countsFromArrivalAndKeepsTheValuesUntilTheNextCar() {
        var session = DerivedSession(energy: true, duration: true)
        var idle = status(cable: .noCable, energy: 5_000)
        session.apply(to: &idle, now: 0)
        #expect(idle.sessionEnergyWh == 0 && idle.sessionSeconds == 0)
        var arrived = status(cable: .vehicleLocked, energy: 5_000)
        session.apply(to: &arrived, now: 10)
        #expect(arrived.sessionEnergyWh == 0)
        var charging = status(cable: .vehicleLocked, energy: 5_700)
        session.apply(to: &charging, now: 70)
        #expect(charging.sessionEnergyWh == 700 && charging.sessionSeconds == 60)
        var left = status(cable: .noCable, energy: 5_700)
        session.apply(to: &left, now: 100)
        #expect(left.sessionEnergyWh == 700 && left.sessionSeconds == 60)   // kept after the car left
        var next = status(cable: .vehicleConnected, energy: 5_700)
        session.apply(to: &next, now: 200)
        #expect(next.sessionEnergyWh == 0 && next.sessionSeconds == 0)     // a new session starts at zero
    }

    @Test func aMeterThatGoesBackNeverGivesNegativeEnergy() {
        var session = DerivedSession(energy: true, duration: false)
        var first = status(cable: .vehicleLocked, energy: 9_000)
        session.apply(to: &first, now: 0)
        var reset = status(cable: .vehicleLocked, energy: 100)
        session.apply(to: &reset, now: 5)
        #expect(reset.sessionEnergyWh == 0)
        var later = status(cable: .vehicleLocked, energy: 400)
        session.apply(to: &later, now: 10)
        #expect(later.sessionEnergyWh == 300)
        #expect(later.sessionSeconds == 0)      // duration comes from the charger's own register
    }

    @Test func aMapWithSessionRegistersIsLeftAlone() {
        var session = DerivedSession(energy: false, duration: false)
        var given = status(cable: .vehicleLocked, energy: 1_000)
        given.sessionEnergyWh = 42
        session.apply(to: &given, now: 3)
        #expect(given.sessionEnergyWh == 42)
    }
}
