import ControlCore
import EnergyControl
import Foundation
@testable import SiteRuntime
import Storage
import Synchronization
import Testing

/// A grid operator's MQTT power limit and the chargers' plans are saved with the other runtime
/// settings and hold again after a restart; a plan whose departure passed while the service was
/// stopped is dropped, and a plan's vehicle counts as gone only once its charger answers.
@Suite("Saved power limit and plans")
struct SavedLimitAndPlanTests {
    static let yaml = """
        chargers:
          - { id: cp1, max_current: 16, failsafe_current: 16, modbus: { port: 1 }, simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500 } ] } }
          - { id: cp2, max_current: 16, failsafe_current: 16, modbus: { port: 2 } }
        """
    static let start = 1_796_000_000.0

    static func store() throws -> RuntimeStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cb-saved-\(UUID().uuidString)")
        return RuntimeStore(database: try ChargeDatabase(path: folder.appendingPathComponent("cb.sqlite").path))
    }

    @Test func theLimitAndThePlansHoldAgainAfterARestart() throws {
        let store = try Self.store(), start = Self.start
        let first = try SimulatedSite(Self.yaml, store: store, wallClock: { start })
        first.control.step(now: 1)
        _ = try first.control.execute(.powerLimit, id: "site", .watts(5000))
        _ = try first.control.execute(.plan, id: "cp1", .plan(PlanCommand(goal: .energy(kWh: 5), departure: Self.start + 4 * 3600, objective: .co2)))
        _ = try first.control.execute(.plan, id: "cp2", .plan(PlanCommand(goal: .target(kWh: 20), departure: Self.start + 600)))
        let saved = try store.load()
        #expect(saved.powerLimitW == 5000)
        #expect(saved.plans["cp1"] == RuntimeSettings.Plan(goal: "energy", kWh: 5, departure: Self.start + 4 * 3600, objective: "co2"))
        #expect(saved.plans["cp2"]?.goal == "target")

        // an hour later: cp2's departure has passed, cp1's plan and the limit hold
        let second = try SimulatedSite(Self.yaml, store: store, wallClock: { start + 3600 })
        second.control.step(now: 1)
        #expect(second.control.view().utilityLimitW == Section14a.minimumPowerW(devices: 2))   // 5 kW asked, the floor holds
        #expect(second.control.view().chargers[0].plan != nil)
        #expect(second.control.view().chargers[1].plan == nil)
        // lifting the limit and clearing the plan are saved too
        _ = try second.control.execute(.powerLimit, id: "site", .watts(nil))
        _ = try second.control.execute(.plan, id: "cp1", .plan(nil))
        #expect(try store.load().powerLimitW == nil && store.load().plans.isEmpty)
    }

    /// The session energy a plan aims at is fixed when its vehicle is seen, and saved then, not
    /// with the next command: a restart takes it again instead of counting the energy anew.
    @Test func theSessionTargetIsSavedWhenTheVehicleIsSeen() throws {
        let store = try Self.store(), start = Self.start
        let first = try SimulatedSite(Self.yaml, store: store, wallClock: { start })
        _ = try first.control.execute(.plan, id: "cp1", .plan(PlanCommand(goal: .energy(kWh: 5), departure: Self.start + 4 * 3600)))
        #expect(try store.load().plans["cp1"]?.target == nil)
        first.control.step(now: 1)                  // the simulated car is plugged in: the target is fixed
        first.control.saves.sync {}                 // the save runs off the control step
        let target = try store.load().plans["cp1"]?.target
        #expect(target == first.control.core.withLock { $0.runtimeSettings.plans["cp1"]?.target } && target != nil)
        // a restart takes the saved target
        let second = try SimulatedSite(Self.yaml, store: store, wallClock: { start + 60 })
        #expect(second.control.core.withLock { $0.runtimeSettings.plans["cp1"]?.target } == target)
    }

    @Test func savedValuesThatNoLongerFitAreDropped() throws {
        let config = try ServiceConfigurationAccess.core(Self.yaml)
        var core = try ControlCore(settings: config, now: 0)
        var saved = RuntimeSettings()
        saved.powerLimitW = -5
        saved.plans["gone"] = RuntimeSettings.Plan(goal: "energy", kWh: 5, departure: Self.start + 600, objective: "cost")
        saved.plans["cp1"] = RuntimeSettings.Plan(goal: "energy", kWh: 5, departure: Self.start - 1, objective: "cost")
        saved.plans["cp2"] = RuntimeSettings.Plan(goal: "soc", kWh: 5, departure: Self.start + 600, objective: "cost")
        let lines = core.restore(saved, wall: Self.start).map(\.message)
        #expect(lines.contains("runtime state: utility power limit -5.0 W is no power and is dropped"))
        #expect(lines.contains("runtime state: no charger \"gone\" any more; its plan is dropped"))
        #expect(lines.contains("runtime state: the plan's departure has passed while stopped; the plan is dropped"))
        #expect(lines.contains("runtime state: plan dropped: unknown goal soc"))
        #expect(core.utilityLimitInForceW == nil && core.runtimeSettings.plans.isEmpty)
    }

    @Test func aRestoredPlanEndsOnlyWhenItsChargerSaysTheVehicleLeft() throws {
        let config = try ServiceConfigurationAccess.core(Self.yaml)
        var core = try ControlCore(settings: config, now: 0)
        var saved = RuntimeSettings()
        // saved while a vehicle was plugged in: its session aims at 12 kWh
        saved.plans["cp1"] = RuntimeSettings.Plan(goal: "energy", kWh: 5, departure: Self.start + 3600, objective: "cost", target: 12)
        _ = core.restore(saved, wall: Self.start)
        // not read yet after the restart: the plan holds
        var offline = ChargerStatus()
        offline.online = false
        _ = core.step(now: 1, wall: Self.start, localTime: nil, statuses: [offline, offline])
        #expect(core.runtimeSettings.plans["cp1"]?.target == 12)
        let result = core.step(now: 2, wall: Self.start + 1, localTime: nil, statuses: [ChargerStatus(), ChargerStatus()])
        #expect(core.runtimeSettings.plans.isEmpty)
        #expect(result.logs.contains { $0.message == "plan ended: the vehicle left" })
    }
}

import ServiceConfiguration

enum ServiceConfigurationAccess {
    static func core(_ yaml: String) throws -> CoreSettings {
        let config = try Configuration.parse(yaml, file: "site.yaml")
        return config.coreSettings(ownFailsafeTimeouts: config.chargers.map { _ in nil }, recordSessions: false, checkpointSeconds: 5)
    }
}
