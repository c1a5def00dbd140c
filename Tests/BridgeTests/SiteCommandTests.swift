@testable import ChargerDrivers
import FaceLayouts
import ServiceConfiguration
import ControlCore
import ServiceSupport
@testable import SiteRuntime
import StorageModel
import EnergyControl
import Foundation
import Logging
import RegisterMaps
import Storage
import Synchronization
import Testing

/// Operator commands against the real control with simulated chargers: checked, saved, applied,
/// restored — and a rejected one changes nothing.
@Suite("Operator commands")
struct SiteCommandTests {
    static let yaml = """
        inputs: [ { id: ripple, role: load_shedding, mqtt: true }, { id: gpio, role: enable, file: /nonexistent } ]
        load_management: { zones: [ { id: garage, limit_a: 32 } ] }
        chargers:
          - { id: cp1, zone: garage, max_current: 16, modbus: { port: 1 }, failsafe_current: 16, simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 32 } ] } }
          - { id: cp2, zone: garage, max_current: 32, modbus: { port: 2 }, phases: 3, phase_switching: true, failsafe_current: 32 }
        """

    struct Site {
        let control: SiteControl
        let chargers: [ChargerPoint]
    }

    func site(store: RuntimeStore?, yaml: String = SiteCommandTests.yaml) throws -> Site {
        let site = try SimulatedSite(yaml, store: store)
        return Site(control: site.control, chargers: site.chargers)
    }

    func temporaryStore() throws -> RuntimeStore {
        RuntimeStore(database: try ChargeDatabase(path: FileManager.default.temporaryDirectory.appendingPathComponent("cb-\(UUID().uuidString)/cb.sqlite").path))
    }

    @Test func aCurrentLimitCapsTheChargerAndOutOfRangeValuesChangeNothing() throws {
        let site = try site(store: nil)
        _ = try site.control.execute(.currentLimit, id: "cp1", .amperes(10))
        site.control.step(now: 1)
        #expect(site.chargers[0].snapshot.decision == SetpointDecision(amperes: 10, reason: .operatorLimit))
        for (value, reason) in [(17, "out of range"), (3, "out of range")] {
            #expect(throws: CommandRejection.self) { try site.control.execute(.currentLimit, id: "cp1", .amperes(value)) }
            #expect((try? site.control.execute(.currentLimit, id: "cp1", .amperes(value))) == nil, "\(reason)")
        }
        #expect(site.control.view().chargers[0].currentLimit == 10)
        #expect(throws: CommandRejection.self) { try site.control.execute(.mode, id: "nobody", .mode(.off)) }
        #expect(throws: CommandRejection.self) { try site.control.execute(.phases, id: "cp1", .phases(1)) }   // cp1 cannot switch
        _ = try site.control.execute(.phases, id: "cp2", .phases(1))
    }

    @Test func modeEnableAndForceReachTheSetpoint() throws {
        let site = try site(store: nil)
        _ = try site.control.execute(.mode, id: "cp1", .mode(.off))
        site.control.step(now: 1)
        #expect(site.chargers[0].snapshot.decision == SetpointDecision(amperes: 0, reason: .mode))
        _ = try site.control.execute(.mode, id: "cp1", .mode(.maxHybrid))
        _ = try site.control.execute(.enable, id: "cp1", .flag(false))
        site.control.step(now: 2)
        #expect(site.chargers[0].snapshot.decision == SetpointDecision(amperes: 0, reason: .disabled))
        _ = try site.control.execute(.force, id: "cp1", .flag(true))
        #expect(site.control.view().chargers[0].forced)
    }

    @Test func anMQTTInputActsAfterItsDebounceAndOthersCannotBeSet() throws {
        let site = try site(store: nil)
        _ = try site.control.execute(.input, id: "ripple", .flag(true))
        site.control.step(now: 1)
        site.control.step(now: 1.2)
        #expect(site.control.view().inputs.loadShedding)
        #expect(site.chargers[0].snapshot.decision == SetpointDecision(amperes: 8, reason: .loadShedding))
        #expect(throws: CommandRejection("input \"gpio\" is read from its file, not set over MQTT")) {
            try site.control.execute(.input, id: "gpio", .flag(false))
        }
    }

    @Test func zoneOperatorLimitsAreCheckedAgainstTheZone() throws {
        let site = try site(store: nil)
        #expect(throws: CommandRejection.self) { try site.control.execute(.operatorLimit, id: "garage", .zoneLimit([40, 40, 40])) }
        #expect(throws: CommandRejection.self) { try site.control.execute(.operatorLimit, id: "attic", .zoneLimit([10, 10, 10])) }
        _ = try site.control.execute(.operatorLimit, id: "garage", .zoneLimit([12, 12, 12]))
        site.control.step(now: 1)
        #expect(site.control.view().operatorLimits["garage"] == [12, 12, 12])
        #expect(site.chargers[0].snapshot.decision.amperes <= 12)
    }

    @Test func settingsSurviveARestartAndTheLoadSheddingSignalHoldsFromTheFirstStep() throws {
        let store = try temporaryStore()
        do {
            let site = try site(store: store)
            _ = try site.control.execute(.mode, id: "cp1", .mode(.sunOnly))
            _ = try site.control.execute(.currentLimit, id: "cp2", .amperes(20))
            _ = try site.control.execute(.operatorLimit, id: "garage", .zoneLimit([30, 30, 25]))
            _ = try site.control.execute(.input, id: "ripple", .flag(true))
            _ = try site.control.execute(.force, id: "cp1", .flag(true))   // one session only: not saved
        }
        let restarted = try site(store: store)
        let view = restarted.control.view()
        #expect(view.chargers[0].mode == .sunOnly && !view.chargers[0].forced)
        #expect(view.chargers[1].currentLimit == 20)
        #expect(view.operatorLimits["garage"] == [30, 30, 25])
        #expect(view.inputs.loadShedding)
        restarted.control.step(now: 0)
        #expect(restarted.chargers[1].snapshot.decision.amperes <= 8)
    }

    @Test func afterShutdownLeftTheChargersSafeNothingStepsThemAgain() throws {
        let site = try site(store: nil)
        site.control.step(now: 1)
        site.control.leaveSafe()
        #expect(site.chargers[0].snapshot.decision == SetpointDecision(amperes: 16, reason: .failsafe))
        #expect(throws: CommandRejection("the service is stopping")) { try site.control.execute(.currentLimit, id: "cp1", .amperes(6)) }
        #expect(throws: CommandRejection("the service is stopping")) { try site.control.execute(.phases, id: "cp2", .phases(1)) }
        site.control.step(now: 2)
        #expect(site.chargers[0].snapshot.decision == SetpointDecision(amperes: 16, reason: .failsafe))
        #expect(site.control.view().chargers[0].currentLimit == nil)
    }

    @Test func anUnreadableInputIsShownAsNoValue() throws {
        let site = try site(store: nil)
        site.control.inputRead("gpio", raw: nil, now: 0.5)
        #expect(site.control.view().inputValues["gpio"] == true)     // not yet: within 3 periods
        site.control.inputRead("gpio", raw: nil, now: 2)
        #expect(site.control.view().inputValues["gpio"] == nil)      // unreadable: no value northbound
        site.control.inputRead("gpio", raw: true, now: 2.1)
        #expect(site.control.view().inputValues["gpio"] == true)
    }

    @Test func aZoneLimitListMustFitEachPhaseAndOneNumberIsClipped() throws {
        let site = try site(store: nil, yaml: Self.yaml.replacingOccurrences(of: "limit_a: 32", with: "limit_a: [32, 32, 20]"))
        _ = try site.control.execute(.operatorLimit, id: "garage", .zoneLimit([25, 25, 25]))
        #expect(site.control.view().operatorLimits["garage"] == [25, 25, 20])
        #expect(throws: CommandRejection.self) { try site.control.execute(.operatorLimit, id: "garage", .zoneLimit([10, 10, 25])) }
        #expect(site.control.view().operatorLimits["garage"] == [25, 25, 20])
    }

    @Test func aRepeatedCommandDoesNotRewriteTheSettings() throws {
        let store = try temporaryStore()
        let site = try site(store: store)
        _ = try site.control.execute(.input, id: "ripple", .flag(true))
        #expect(try store.load().inputs["ripple"] == true)
        try store.database.setSetting("runtime", "{\"inputs\": {\"marker\": true}}", at: 0)   // a marker no command writes
        _ = try site.control.execute(.input, id: "ripple", .flag(true))   // the same signal again
        #expect(try store.load().inputs == ["marker": true])
        _ = try site.control.execute(.input, id: "ripple", .flag(false))
        #expect(try store.load().inputs["ripple"] == false)
    }

    /// Each command says whether it changed anything: the same again is acknowledged but changes nothing.
    @Test(arguments: [(CommandKind.currentLimit, "cp1", CommandValue.amperes(10)), (.mode, "cp1", .mode(.off)), (.enable, "cp1", .flag(false)),
                      (.force, "cp1", .flag(true)), (.phases, "cp2", .phases(1)), (.operatorLimit, "garage", .zoneLimit([20, 20, 20])),
                      (.input, "ripple", .flag(true))])
    func aRepeatedCommandChangesNothing(_ command: CommandKind, _ id: String, _ value: CommandValue) throws {
        var core = try site(store: nil).control.core.withLock { $0 }
        #expect(try core.apply(command, id: id, value).changed)
        let again = try core.apply(command, id: id, value)
        #expect(!again.changed)
        #expect(!again.change.isEmpty)   // still said, for whoever acknowledges it
    }

    @Test func theChargersMaximumAsALimitIsNoLimitAndChangesNothing() throws {
        var core = try site(store: nil).control.core.withLock { $0 }
        #expect(try !core.apply(.currentLimit, id: "cp1", .amperes(16)).changed)   // 16 A is cp1's maximum: no limit, as before
        #expect(try !core.apply(.mode, id: "cp1", .mode(.maxHybrid)).changed)       // the configured mode
        #expect(try !core.apply(.operatorLimit, id: "garage", .zoneLimit(nil)).changed)
        #expect(try core.apply(.currentLimit, id: "cp1", .amperes(6)).changed)
        #expect(try core.apply(.currentLimit, id: "cp1", .amperes(16)).changed)     // back to no limit
    }

    /// Nothing changed: nothing saved (the database is not even opened for writing).
    @Test func aCommandThatChangesNothingIsNotSaved() throws {
        let path = try temporaryStore().database.path
        let site = try site(store: RuntimeStore(database: try ChargeDatabase(path: path, readOnly: true)))   // writes fail
        #expect(try site.control.execute(.mode, id: "cp1", .mode(.maxHybrid)) == "mode max-hybrid")
    }

    @Test func aCommandThatCannotBeSavedIsNotApplied() throws {
        let path = try temporaryStore().database.path
        let site = try site(store: RuntimeStore(database: try ChargeDatabase(path: path, readOnly: true)))   // writes fail
        #expect(throws: CommandRejection.self) { try site.control.execute(.mode, id: "cp1", .mode(.off)) }
        #expect(site.control.view().chargers[0].mode == .maxHybrid)
    }

    @Test func anOpenSessionOfARemovedChargerIsClosedAtStart() throws {
        let database = try temporaryStore().database
        try database.apply([.open(SessionRecord(charger: "gone", startedAt: 10, energyWh: 500, updatedAt: 70)),
                            .open(SessionRecord(charger: "cp1", startedAt: 20, updatedAt: 80))])
        let configuration = try Configuration.parse(Self.yaml, file: "site.yaml")
        let layout = try FaceLayout.load(file: TestPaths.root.appendingPathComponent("Mappings/modbus/evc08.yaml").path)
        let recorder = Recorder(database: database, retentionDays: 30, logger: Logger(label: "test"))
        let chargers = configuration.chargers.map { ChargerPoint(config: $0, layouts: [layout], clock: MonotonicSeconds(), logger: Logger(label: "test")) }
        let drivers = configuration.chargers.map { SimulatedChargerDriver(limits: $0.limits, evs: [], start: 0) }
        _ = try SiteControl(configuration: configuration, chargers: chargers, drivers: drivers, logger: Logger(label: "test"), now: 0,
                            recorder: recorder, openSessions: try database.openSessions())
        recorder.flush()
        let sessions = try database.sessions()
        #expect(sessions.map(\.charger) == ["gone", "cp1"])
        #expect(sessions[0].endedAt == 70 && sessions[0].endReason == "recovered" && sessions[0].energyWh == 500)
        #expect(sessions[1].endedAt == nil)   // resumed: its charger reports next
    }
}
