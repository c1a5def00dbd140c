import DataFiles
import Foundation
import Testing
@testable import RegisterMaps

/// A charger map whose `charger:` section the test replaces piece by piece.
private struct ChargerMapText {
    var status = """
          status:
            quantity: status.code
            codes:
              0: { status: available, iec: A }
              1: { status: charging, iec: C }
        """
    var setpoint = """
          setpoint: { quantity: ems.setpoint, unit: A, range: [6, 32], pause: zero }
        """
    var watchdog = """
          watchdog:
            kind: alive
            alive: { quantity: ems.alive }
            timeout: ems.timeout
            safe_current: { quantity: ems.safe }
            feed: { fraction: 0.5 }
        """
    var connect = "  connect: [watchdog.timeout, watchdog.safe_current, setpoint, watchdog.feed]"
    var quantities = """
          status.code:  { address: 10, type: u16, unit: "1", function: input }
          current.l1:   { address: 12, type: u16, unit: A, function: input }
          ems.setpoint: { address: 100, type: u16, unit: A, access: rw }
          ems.alive:    { address: 101, type: u16, unit: "1", access: rw }
          ems.timeout:  { address: 102, type: u16, unit: s, access: rw }
          ems.safe:     { address: 103, type: u16, unit: A, access: rw }
        """

    var text: String {
        """
        name: Test charger
        vendor: Test
        models: []
        kind: charger
        sources: ["unit test"]
        quantities:
        \(quantities)
        charger:
        \(status)
        \(setpoint)
        \(watchdog)
        \(connect)
        """
    }

    func load() throws(DataFileError) -> RegisterMap { try MapLoader.parse(text, file: "charger.yaml") }

    func error() -> DataFileError? {
        do {
            _ = try load()
            return nil
        } catch {
            return error
        }
    }

    /// The 1-based line of the first line containing `needle`.
    func line(of needle: String) -> Int? {
        text.components(separatedBy: "\n").firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }
}

@Suite("Charger maps")
struct ChargerMapTests {
    @Test func aValidSectionLoads() throws {
        let spec = try #require(try ChargerMapText().load().charger)
        #expect(spec.status.decode(code: 1).status == .charging)
        #expect(spec.status.decode(code: 1).iec == .c)
        #expect(spec.setpoint.range == 6...32)
        #expect(spec.watchdog.feedInterval(timeout: 20) == 10)
        #expect(spec.connect == [.watchdogTimeout, .safeCurrent, .setpoint, .feed])
        #expect(spec.writeOrder.last == .phases)
    }

    @Test func aSetpointWithoutRangeIsRefused() throws {
        var map = ChargerMapText()
        map.setpoint = "  setpoint: { quantity: ems.setpoint, unit: A, pause: zero }"
        let error = try #require(map.error())
        #expect(error.file == "charger.yaml")
        #expect(error.field == "charger.setpoint.range")
        #expect(error.line == map.line(of: "  setpoint: {"))
        #expect(error.message.contains("missing"))
    }

    @Test func aStatusTableWithoutChargingIsRefused() throws {
        var map = ChargerMapText()
        map.status = """
              status:
                quantity: status.code
                codes:
                  0: { status: available, iec: A }
                  1: { status: suspended-ev, iec: B }
            """
        let error = try #require(map.error())
        #expect(error.file == "charger.yaml")
        #expect(error.field == "charger.status.codes")
        #expect(error.line == map.line(of: "0: { status: available"))
        #expect(error.message.contains("charging"))
    }

    @Test func aWatchdogWithoutPeriodIsRefused() throws {
        var map = ChargerMapText()
        map.watchdog = """
              watchdog:
                kind: alive
                alive: { quantity: ems.alive }
                timeout: ems.timeout
            """
        let error = try #require(map.error())
        #expect(error.file == "charger.yaml")
        #expect(error.field == "charger.watchdog.feed")
        #expect(error.line == map.line(of: "kind: alive"))
        #expect(error.message.contains("how often"))
    }

    @Test func overlappingRegistersOfAChargerMapAreRefused() throws {
        var map = ChargerMapText()
        map.quantities += "\n  ems.wide: { address: 99, type: u32, unit: A, access: rw }"
        let error = try #require(map.error())
        #expect(error.file == "charger.yaml")
        #expect(error.field == "quantities.ems.setpoint")
        #expect(error.line == map.line(of: "ems.setpoint:"))
        #expect(error.message.contains("overlap ems.wide"))
    }

    @Test func referencesMustExistAndWrittenOnesBeWritable() throws {
        var missing = ChargerMapText()
        missing.setpoint = "  setpoint: { quantity: ems.nothing, unit: A, range: [6, 32] }"
        let unknown = try #require(missing.error())
        #expect(unknown.field == "charger.setpoint.quantity")
        #expect(unknown.message.contains("no quantity \"ems.nothing\""))

        var readOnly = ChargerMapText()
        readOnly.setpoint = "  setpoint: { quantity: current.l1, unit: A, range: [6, 32] }"
        #expect(try #require(readOnly.error()).message.contains("access: rw"))

        var wrongUnit = ChargerMapText()
        wrongUnit.setpoint = "  setpoint: { quantity: ems.setpoint, unit: W, range: [1380, 22000] }"
        #expect(try #require(wrongUnit.error()).field == "charger.setpoint.unit")

        var percent = ChargerMapText()
        percent.quantities = percent.quantities.replacingOccurrences(of: "ems.setpoint: { address: 100, type: u16, unit: A",
                                                                     with: "ems.setpoint: { address: 100, type: u16, unit: \"%\"")
        percent.setpoint = "  setpoint: { quantity: ems.setpoint, unit: percent, range: [0, 100] }"
        #expect(try #require(percent.error()).field == "charger.setpoint.maximum_a")

        var badStep = ChargerMapText()
        badStep.connect = "  connect: [phases, setpoint]"
        #expect(try #require(badStep.error()).message.contains("no phase switching"))

        var unknownStatus = ChargerMapText()
        unknownStatus.status = unknownStatus.status.replacingOccurrences(of: "status: available", with: "status: idle")
        #expect(try #require(unknownStatus.error()).field == "charger.status.codes.0.status")
    }

    /// A station block at one unit id and the socket at another: never one request, and the same
    /// address at two unit ids is no overlap.
    @Test func unitIDsPerBlockAreNotMerged() throws {
        var map = ChargerMapText()
        map.quantities += "\n  station.state: { address: 10, type: u16, unit: \"1\", function: input, unit_id: 1 }"
        map.quantities += "\n  station.load:  { address: 11, type: u16, unit: A, function: input, unit_id: 1 }"
        let loaded = try map.load()
        #expect(loaded.quantity(named: "station.state")?.unitID == 1)
        #expect(loaded.quantity(named: "status.code")?.unitID == nil)
        let blocks = BlockPlanner.plan(loaded.quantities.filter { $0.function == .input }, settings: loaded.planner)
        #expect(blocks.count == 2)
        #expect(Set(blocks.map(\.unitID)) == [nil, 1])
        #expect(blocks.allSatisfy { block in block.members.allSatisfy { loaded.quantities.filter { $0.function == .input }[$0].unitID == block.unitID } })
        var clash = ChargerMapText()
        clash.quantities += "\n  station.state: { address: 10, type: u16, unit: \"1\", function: input, unit_id: 1 }"
        clash.quantities += "\n  station.other: { address: 10, type: u16, unit: \"1\", function: input, unit_id: 1 }"
        #expect(try #require(clash.error()).message.contains("overlap station.state"))
    }

    /// The shipped Vestel map declares what the driver used to hard-code.
    @Test func theVestelMapDeclaresItsDriving() throws {
        let spec = try #require(try Paths.map("chargers/vestel-evc04.yaml").charger)
        #expect(spec.setpoint.quantity == "ems.charging_current" && spec.setpoint.unit == .amperes && spec.setpoint.pause == .zero)
        #expect(spec.watchdog.kind == .alive && spec.watchdog.alive == "ems.alive" && spec.watchdog.timeout == "ems.failsafe_timeout")
        #expect(spec.watchdog.safeCurrent == .register("ems.failsafe_current"))
        #expect(spec.watchdog.feedInterval(timeout: 20) == 10)
        #expect(spec.connect == [.watchdogTimeout, .safeCurrent, .setpoint, .feed])
        #expect(spec.phases == ChargerSpec.Phases(quantity: "ems.phases", one: 0, three: 1))
        #expect(spec.status.decode(code: 2).status == .charging)
        #expect(spec.status.decode(code: 9).status == .unknown)
        #expect(spec.reassertSeconds == 10)
    }
}

/// Every charger map shipped in Registers/chargers/: it loads, cites its sources, and never lets
/// a setpoint stand for more than the configured maximum, whatever its unit.
@Suite("Shipped charger maps")
struct ShippedChargerMapTests {
    static let names = ["vestel-evc04", "bender-cc613", "phoenix-charx", "schneider-evlink-pro-ac", "webasto-next",
                        "mennekes-amtron-compact", "alfen-ng9xx", "keba-p30"]

    @Test(arguments: names)
    func loadsWithSourcesAndASafeSetpoint(_ name: String) throws {
        let map = try Paths.map("chargers/\(name).yaml")
        let spec = try #require(map.charger)
        let text = try String(contentsOfFile: map.file!, encoding: .utf8)
        #expect(text.contains("sources:"), "\(name) cites no sources")
        for quantity in ["current.l1", "current.l2", "current.l3", spec.status.quantity, spec.setpoint.quantity] {
            #expect(map.quantities.contains { $0.name == quantity }, "\(name) lacks \(quantity)")
        }
        #expect(spec.status.codes.values.contains { $0.status == .charging })
        for maxCurrent in [6.0, 10, 16, 32] {
            for phases in 1...3 {
                let command = spec.setpoint.command(amperes: 40, maxCurrent: maxCurrent, phases: phases)
                let value = try #require(command.value ?? (command.paused ? 0 : nil))
                #expect(value <= spec.setpoint.toUnit(amperes: maxCurrent, phases: phases) + 1e-9, "\(name): \(value) for \(maxCurrent) A")
            }
        }
        #expect(map.chargerStatusRequests <= (name == "keba-p30" ? 12 : 4), "\(name): \(map.chargerStatusRequests) requests per poll")
    }

    @Test func aSetpointWatchdogIsFedByRewritingTheSetpoint() throws {
        let spec = try #require(try Paths.map("chargers/alfen-ng9xx.yaml").charger)
        #expect(spec.watchdog.kind == .setpoint && spec.watchdog.timeout == nil)
        #expect(spec.watchdog.feedInterval(timeout: 60) == 30)
        #expect(spec.summary(timeout: 60).contains("setpoint re-written every 30 s"))
    }
}

@Suite("Setpoint conversion")
struct SetpointConversionTests {
    let amperes = ChargerSpec.Setpoint(quantity: "sp", unit: .amperes, range: 6...32)

    @Test func amperesAreClampedToTheConfiguredMaximumAndRoundedDown() {
        #expect(amperes.command(amperes: 10, maxCurrent: 16, phases: 3) == SetpointCommand(value: 10, flag: nil, paused: false))
        #expect(amperes.command(amperes: 40, maxCurrent: 16, phases: 3).value == 16)
        // the charger's own range caps too
        #expect(amperes.command(amperes: 40, maxCurrent: 40, phases: 3).value == 32)
        var coarse = amperes
        coarse.resolution = 2
        #expect(coarse.command(amperes: 11, maxCurrent: 16, phases: 3).value == 10)
        #expect(coarse.command(amperes: 16, maxCurrent: 15, phases: 3).value == 14)   // 15 rounds down, never up
    }

    @Test func wattsFollowThePhasesInUse() {
        let watts = ChargerSpec.Setpoint(quantity: "sp", unit: .watts, range: 1380...22080)
        #expect(watts.command(amperes: 10, maxCurrent: 16, phases: 3).value == 6900)
        #expect(watts.command(amperes: 10, maxCurrent: 16, phases: 1).value == 2300)
        // never above the maximum, whatever the phases
        #expect(watts.command(amperes: 32, maxCurrent: 16, phases: 3).value == 11040)
        #expect(watts.command(amperes: 32, maxCurrent: 16, phases: 1).value == 3680)
        var coarse = watts
        coarse.resolution = 100
        #expect(coarse.command(amperes: 10, maxCurrent: 16, phases: 3).value == 6900)
        #expect(coarse.command(amperes: 7, maxCurrent: 16, phases: 1).value == 1600)   // 1610 W rounds down
    }

    @Test func percentIsOfTheChargersMaximum() {
        let percent = ChargerSpec.Setpoint(quantity: "sp", unit: .percent, range: 0...100, maximumAmperes: 32)
        #expect(percent.command(amperes: 16, maxCurrent: 32, phases: 3).value == 50)
        #expect(percent.command(amperes: 10, maxCurrent: 32, phases: 3).value == 31)   // 31.25 % rounds down
        #expect(percent.command(amperes: 32, maxCurrent: 20, phases: 3).value == 62)   // 20 A of 32 = 62.5 %
        for wanted in stride(from: 6.0, through: 40, by: 1) {
            let value = percent.command(amperes: wanted, maxCurrent: 20, phases: 3).value ?? 0
            #expect(value / 100 * 32 <= 20, "\(wanted) A wrote \(value) %")
        }
    }

    @Test func pauseSemantics() {
        #expect(amperes.command(amperes: 0, maxCurrent: 16, phases: 3) == SetpointCommand(value: 0, flag: nil, paused: true))
        // below what the charger accepts: a pause, never the minimum (more than asked)
        #expect(amperes.command(amperes: 5, maxCurrent: 16, phases: 3).paused)
        var enable = amperes
        enable.pause = .enable(quantity: "en", on: 1, off: 0)
        #expect(enable.command(amperes: 0, maxCurrent: 16, phases: 3) == SetpointCommand(value: nil, flag: 0, paused: true))
        #expect(enable.command(amperes: 12, maxCurrent: 16, phases: 3) == SetpointCommand(value: 12, flag: 1, paused: false))
        var flagged = amperes
        flagged.pause = .minimumWithFlag(quantity: "pause", paused: 1, running: 0)
        #expect(flagged.command(amperes: 0, maxCurrent: 16, phases: 3) == SetpointCommand(value: 6, flag: 1, paused: true))
        #expect(flagged.command(amperes: 12, maxCurrent: 16, phases: 3) == SetpointCommand(value: 12, flag: 0, paused: false))
    }
}
