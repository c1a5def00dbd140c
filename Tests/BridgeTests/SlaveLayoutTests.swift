@testable import Bridge
import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import Logging
import Modbus
import RegisterMaps
import Testing

@Suite("EVC08 slave layout and charger point")
struct SlaveLayoutTests {
    func layout() throws -> SlaveLayout {
        try SlaveLayout.load(file: TestPaths.root.appendingPathComponent("Mappings/modbus/evc08.yaml").path)
    }

    /// A charger's face wired to the service's control, with a driver that reports a given status.
    struct Face {
        let point: ChargerPoint
        let control: SiteControl
        let driver: StatusDriver

        func write(address: Int, values: [UInt16]) -> ModbusException? { point.write(address: address, values: values) }
        func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException> {
            point.read(function, address: address, count: count)
        }
        var failsafeEntries: Int { point.failsafeEntries }
        var snapshot: ChargerPoint.Snapshot { point.snapshot }

        /// One control step with the charger reporting `status`: the decision and the phases sent to it.
        func step(now: Seconds, status: ChargerStatus) -> (decision: SetpointDecision, phases: Int?) {
            driver.report(status)
            control.step(now: now)
            return (point.snapshot.decision, driver.applied.phases)
        }
    }

    func point(switching: Bool = false) throws -> Face {
        let configuration = try Configuration.parse("""
            chargers:
              - { id: t, min_current: 6, max_current: 16, phases: 3, phase_switching: \(switching), failsafe_current: 8, modbus: { port: 1 } }
            """, file: "t.yaml")
        let logger = Logger(label: "test")
        let point = ChargerPoint(config: configuration.chargers[0], layout: try layout(), clock: MonotonicSeconds(), logger: logger)
        let driver = StatusDriver()
        let control = try SiteControl(configuration: configuration, chargers: [point], drivers: [driver], logger: logger, now: 0)
        return Face(point: point, control: control, driver: driver)
    }

    @Test func theLayoutHasTheSpecRegisters() throws {
        let map = try layout().map
        let expected: [(String, Int, RegisterFunction)] = [
            ("identity.serial", 100, .input), ("identity.brand", 190, .input), ("identity.model", 210, .input),
            ("identity.firmware", 230, .input), ("charger.rated_power", 400, .input), ("charger.three_phase", 404, .input),
            ("status.charge_point", 1000, .input), ("current.l1", 1008, .input), ("voltage.l3", 1018, .input),
            ("power.total", 1020, .input), ("power.l3", 1032, .input), ("energy.import", 1036, .input),
            ("session.max_current", 1100, .input), ("limits.cable_max_current", 1106, .input), ("session.energy", 1502, .input),
            ("session.duration", 1508, .input), ("session.id_tag", 1516, .input), ("ems.phases", 405, .holding),
            ("ems.failsafe_current", 2000, .holding), ("ems.failsafe_timeout", 2002, .holding),
            ("ems.charging_current", 5004, .holding), ("ems.alive", 6000, .holding),
        ]
        for (name, address, function) in expected {
            let quantity = try #require(map.quantity(named: name))
            #expect(quantity.address == address && quantity.function == function, "\(name)")
        }
    }

    @Test func readsOfUnknownAddressesAreException02() throws {
        let layout = try layout()
        #expect(layout.checkRead(.input, address: 1000, count: 20) == nil)
        #expect(layout.checkRead(.input, address: 100, count: 25) == nil)
        #expect(layout.checkRead(.input, address: 1003, count: 1) == .illegalDataAddress)
        #expect(layout.checkRead(.input, address: 3000, count: 1) == .illegalDataAddress)
        #expect(layout.checkRead(.input, address: 1516, count: 20) == .illegalDataAddress)   // beyond the last register
        #expect(layout.checkRead(.holding, address: 1000, count: 1) == .illegalDataAddress)
    }

    @Test func writesAreValidatedAndARefusedWriteChangesNothing() throws {
        let point = try point()
        #expect(point.write(address: 5004, values: [10]) == nil)
        #expect(point.write(address: 5004, values: [3]) == .illegalDataValue)      // below the minimum
        #expect(point.write(address: 5004, values: [17]) == .illegalDataValue)     // above the maximum
        #expect(point.write(address: 2000, values: [40]) == .illegalDataValue)
        #expect(point.write(address: 2002, values: [0]) == .illegalDataValue)
        #expect(point.write(address: 405, values: [0]) == .illegalDataValue)       // cannot switch phases
        #expect(point.write(address: 5005, values: [1]) == .illegalDataAddress)
        #expect(point.write(address: 1000, values: [1]) == .illegalDataAddress)    // an input register
        _ = point.step(now: 0, status: ChargerStatus())
        #expect(point.read(.holding, address: 5004, count: 1) == .success([10]))
        #expect(point.read(.holding, address: 2000, count: 1) == .success([8]))
    }

    @Test func aliveTurnsTheChargingCurrentIntoTheRequest() throws {
        let point = try point()
        #expect(point.write(address: 5004, values: [12]) == nil)
        #expect(point.step(now: 0.1, status: ChargerStatus()).decision == SetpointDecision(amperes: 8, reason: .failsafe))
        #expect(point.write(address: 6000, values: [1]) == nil)
        #expect(point.step(now: 0.2, status: ChargerStatus()).decision == SetpointDecision(amperes: 12, reason: .ems))
        #expect(point.write(address: 5004, values: [0]) == nil)
        #expect(point.step(now: 0.3, status: ChargerStatus()).decision.amperes == 0)
        let entries = point.failsafeEntries
        _ = point.step(now: 1000, status: ChargerStatus())                          // silent master
        #expect(point.failsafeEntries == entries + 1)
        #expect(point.snapshot.decision == SetpointDecision(amperes: 8, reason: .failsafe))
    }

    @Test func statusRegistersReflectTheCharger() throws {
        let point = try point(switching: true)
        var status = ChargerStatus()
        status.state = .charging
        status.cable = .vehicleLocked
        status.currents = [7.25, 7.25, 0]
        status.energyWh = 1_234_567
        status.sessionEnergyWh = 4321
        _ = point.step(now: 0, status: status)
        #expect(point.read(.input, address: 1000, count: 5) == .success([2, 1, 1, 0, 3]))
        #expect(point.read(.input, address: 1008, count: 5) == .success([7250, 0, 7250, 0, 0]))
        #expect(point.read(.input, address: 1036, count: 2) == .success([0, 12346]))   // 0.1 kWh
        #expect(point.read(.input, address: 1502, count: 2) == .success([0, 4321]))
        #expect(point.read(.input, address: 1102, count: 3) == .success([6, 0, 16]))
        #expect(point.write(address: 405, values: [0]) == nil)                       // can switch: accepted
        #expect(point.step(now: 0.1, status: status).phases == 1)
    }
}
