import FaceLayouts
import LinkValues
import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import Logging
import RegisterMaps
import ServiceSupport
@testable import SiteRuntime
import Testing

@Suite("EVC08 face and charger point")
struct FaceLayoutTests {
    func layout() throws -> FaceLayout {
        try FaceLayout.load(file: TestPaths.root.appendingPathComponent("Mappings/modbus/evc08.yaml").path)
    }

    /// A charger's face wired to the service's control, with a driver that reports a given status.
    struct Face {
        let point: ChargerPoint
        let control: SiteControl
        let driver: StatusDriver

        func write(address: Int, values: [UInt16]) -> ModbusException? { point.write(face: 0, address: address, values: values) }
        func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException> {
            point.read(face: 0, function, address: address, count: count)
        }
        var failsafeEntries: Int { point.drops }
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
        let point = ChargerPoint(config: configuration.chargers[0], layouts: [try layout()], clock: MonotonicSeconds(), logger: logger)
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
        #expect(point.snapshot.reason == .failsafe, "a master went silent: the alarm's reason")
    }

    @Test func theFailsafeCurrentIsLocalBeforeAnyMasterAndUnderEmsNone() throws {
        let point = try point()
        _ = point.step(now: 0.1, status: ChargerStatus())
        #expect(point.snapshot.decision.reason == .failsafe && point.snapshot.reason == .local, "no master has steered yet")
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

    // MARK: - Other faces: one master contract, each table's own registers

    func face(_ name: String) throws -> FaceLayout {
        try FaceLayout.load(file: TestPaths.root.appendingPathComponent("Mappings/modbus/\(name).yaml").path)
    }

    /// A charger served through the EVC08, Bender and KEBA faces at once.
    func threeFaced(switching: Bool = true) throws -> (point: ChargerPoint, control: SiteControl, driver: StatusDriver) {
        let configuration = try Configuration.parse("""
            chargers:
              - { id: t, min_current: 6, max_current: 16, phases: 3, phase_switching: \(switching), failsafe_current: 8, modbus: { port: 1 } }
            """, file: "t.yaml")
        let logger = Logger(label: "test")
        let point = ChargerPoint(config: configuration.chargers[0], layouts: [try layout(), try face("bender-cc613"), try face("keba-p30")],
                                 clock: MonotonicSeconds(), logger: logger)
        let driver = StatusDriver()
        let control = try SiteControl(configuration: configuration, chargers: [point], drivers: [driver], logger: logger, now: 0)
        return (point, control, driver)
    }

    @Test func everyShippedFaceLoads() throws {
        for name in ["evc08", "bender-cc613", "keba-p30"] {
            let face = try face(name)
            #expect(face.spec.commands.values.contains { $0.meaning == .current }, "\(name)")
        }
        #expect(try face("bender-cc613").spec.alive == .anyRequest)
        #expect(try face("evc08").spec.alive == .register("ems.alive"))
    }

    @Test func writesBecomeTheSameCommandsWhateverTheTable() throws {
        let evc08 = try layout(), bender = try face("bender-cc613"), keba = try face("keba-p30")
        #expect(evc08.decodeWrite(address: 5004, values: [12], ceiling: 16) == .success([.current(12)]))
        #expect(evc08.decodeWrite(address: 6000, values: [1], ceiling: 16) == .success([.alive]))
        #expect(bender.decodeWrite(address: 1000, values: [12], ceiling: 16) == .success([.current(12), .alive]))
        #expect(bender.decodeWrite(address: 131, values: [8, 3], ceiling: 16) == .success([.failsafeCurrent(8), .failsafeTimeout(3), .alive]))
        #expect(keba.decodeWrite(address: 5004, values: [12_000], ceiling: 16) == .success([.current(12), .alive]))
        #expect(keba.decodeWrite(address: 5004, values: [12_500], ceiling: 16) == .success([.current(12), .alive]))   // rounded down
        #expect(keba.decodeWrite(address: 5004, values: [63_000], ceiling: 16) == .success([.current(16), .alive]))   // "no limit"
        #expect(keba.decodeWrite(address: 5014, values: [0], ceiling: 16) == .success([.enable(false), .alive]))
        #expect(keba.decodeWrite(address: 5014, values: [2], ceiling: 16) == .failure(.illegalDataValue))
        #expect(keba.decodeWrite(address: 5052, values: [0], ceiling: 16) == .success([.phases(1), .alive]))
        #expect(keba.decodeWrite(address: 5016, values: [8_000], ceiling: 16) == .success([.failsafeCurrent(8), .alive]))
        #expect(keba.decodeWrite(address: 5010, values: [1], ceiling: 16) == .failure(.illegalDataAddress))
        #expect(bender.decodeWrite(address: 104, values: [1], ceiling: 16) == .failure(.illegalDataAddress))       // read-only
    }

    @Test func eachFaceShowsTheStatusInItsOwnCodes() throws {
        let (point, control, driver) = try threeFaced()
        var status = ChargerStatus()
        status.state = .charging
        status.cable = .vehicleLocked
        status.currents = [10, 10, 10]
        status.energyWh = 12_345
        driver.report(status)
        control.step(now: 0)
        #expect(point.read(face: 0, .input, address: 1000, count: 1) == .success([2]))
        #expect(point.read(face: 1, .holding, address: 104, count: 1) == .success([6]))        // Bender: Charging
        #expect(point.read(face: 1, .holding, address: 122, count: 1) == .success([3]))        // state C
        #expect(point.read(face: 1, .holding, address: 212, count: 2) == .success([0, 10_000])) // mA
        #expect(point.read(face: 1, .holding, address: 218, count: 2) == .success([0, 12_345])) // Wh
        #expect(point.read(face: 2, .holding, address: 1000, count: 2) == .success([0, 3]))     // KEBA: charging
        #expect(point.read(face: 2, .holding, address: 1004, count: 2) == .success([0, 7]))     // locked in car
        #expect(point.read(face: 2, .holding, address: 1036, count: 2) == .success([0x0001, 0xE23A]))   // 123 450 × 0.1 Wh
        #expect(point.read(face: 2, .holding, address: 1110, count: 2) == .success([0, 16_000]))
        status.state = .suspendedEVSE
        driver.report(status)
        control.step(now: 0.1)
        #expect(point.read(face: 1, .holding, address: 104, count: 1) == .success([7]))
        #expect(point.read(face: 2, .holding, address: 1000, count: 2) == .success([0, 5]))
    }

    @Test func aRequestThroughAnyFaceSteersTheOneContract() throws {
        let (point, control, driver) = try threeFaced()
        // KEBA: 12 A then a pause by enable, the current kept for the resume
        #expect(point.write(face: 2, address: 5004, values: [12_000]) == nil)
        driver.report(ChargerStatus())
        control.step(now: 0.1)
        #expect(point.snapshot.decision == SetpointDecision(amperes: 12, reason: .ems))
        #expect(point.write(face: 2, address: 5014, values: [0]) == nil)
        control.step(now: 0.2)
        #expect(point.snapshot.decision.amperes == 0)
        #expect(point.read(face: 2, .holding, address: 5014, count: 1) == .success([0]))
        #expect(point.write(face: 2, address: 5014, values: [1]) == nil)
        control.step(now: 0.3)
        #expect(point.snapshot.decision.amperes == 12)
        // Bender sees what KEBA's master asked, and its own write replaces it
        #expect(point.read(face: 1, .holding, address: 1000, count: 1) == .success([12]))
        #expect(point.write(face: 1, address: 1000, values: [3]) == .illegalDataValue)            // below the minimum: nothing changes
        #expect(point.write(face: 1, address: 1000, values: [9]) == nil)
        control.step(now: 0.4)
        #expect(point.snapshot.decision.amperes == 9)
        #expect(point.read(face: 0, .holding, address: 5004, count: 1) == .success([9]))
        // silence on the Bender face (timeout 3 s): the safe current it set
        #expect(point.write(face: 1, address: 131, values: [7, 3]) == nil)
        let drops = point.drops
        control.step(now: 10)
        #expect(point.drops == drops + 1)
        #expect(point.snapshot.decision == SetpointDecision(amperes: 7, reason: .failsafe))
    }

    @Test func badFaceFilesAreRefusedWithFileLineAndField() throws {
        func refusal(_ face: String) -> String {
            let text = """
                name: t
                vendor: t
                models: [t]
                kind: face
                sources: [t]
                defaults: { function: holding }
                quantities:
                  ems.limit: { address: 10, type: u16, unit: A, access: rw }
                  status.code: { address: 11, type: u16, unit: "1" }
                face:
                \(face)
                """
            do {
                _ = try MapLoader.parse(text, file: "f.yaml")
                return "accepted"
            } catch { return "\(error)" }
        }
        let good = """
              show:
                status.code: { value: status, codes: { available: 0, preparing: 1, charging: 2, suspended-evse: 3, suspended-ev: 4, finishing: 5, reserved: 6, unavailable: 7, faulted: 8 } }
              commands:
                ems.limit: { meaning: current }
              watchdog: { alive: any-write }
            """
        #expect(refusal(good) == "accepted")
        let noMeaning = refusal(good.replacingOccurrences(of: "ems.limit: { meaning: current }", with: "ems.limit: { meaning: speed }"))
        #expect(noMeaning.contains("f.yaml:") && noMeaning.contains("meaning") && noMeaning.contains("unknown meaning \"speed\""), "\(noMeaning)")
        let missingCode = refusal(good.replacingOccurrences(of: ", faulted: 8", with: ""))
        #expect(missingCode.contains("no code for \"faulted\""), "\(missingCode)")
        let unknownValue = refusal(good.replacingOccurrences(of: "value: status, codes", with: "value: mood, codes"))
        #expect(unknownValue.contains("no value \"mood\""), "\(unknownValue)")
        let noCommand = refusal(good.replacingOccurrences(of: "  commands:\n    ems.limit: { meaning: current }\n", with: ""))
        #expect(noCommand.contains("ems.limit is writable but has no meaning"), "\(noCommand)")
        let badAlive = refusal(good.replacingOccurrences(of: "any-write", with: "status.code"))
        #expect(badAlive.contains("alive is any-write, any-request or a command register"), "\(badAlive)")
    }
}
