import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import CoreMetrics
import Metrics
import Logging
import RegisterMaps
import ServiceSupport
import SiteConfiguration
import StorageModel
import Synchronization

/// The control side of the service: the one control core behind a lock. A step takes the lock,
/// calls the core and releases it; the effects (driver calls, views, logs, storage) are carried
/// out afterwards. Steps from the timer and from bus threads are serialised by `stepLock`, so
/// setpoints reach the drivers in the order they were decided (a later decrease is never
/// overtaken by an earlier increase). Data flows one way: statuses and samples in, setpoints out.
package final class SiteControl: Sendable {
    package let configuration: Configuration
    package let chargers: [ChargerPoint]
    package let drivers: [any ChargerDriver]
    package let logger: Logger
    /// Where operator settings are kept across restarts (nil: they are not).
    package let store: RuntimeStore?
    /// The session and event log (nil: nothing is recorded).
    package let recorder: Recorder?
    package let core: Mutex<ControlCore>
    /// Whole steps, one at a time: decide, then hand the setpoints to the drivers in that order.
    let stepLock = Mutex<Void>(())
    /// Operator commands, one at a time (check, save, apply).
    let commandLock = Mutex<Void>(())
    /// Unix seconds, only for what is recorded; local-time features follow `localClock`.
    let wallClock: @Sendable () -> Double
    let localClock: LocalClock
    /// Raised when the site's own values (grid, inputs, zones) changed in a step; the chargers'
    /// faces raise it for theirs.
    package let changes: ChangeSignal?
    private let shownSite = Mutex<SiteFacts?>(nil)
    /// Saves of what steps changed, off the control step, in order.
    package let saves = DispatchQueue(label: "runtime settings")

    /// Fails only on a zone tree the configuration loader would already have refused.
    package init(configuration: Configuration, chargers: [ChargerPoint], drivers: [any ChargerDriver], logger: Logger, now: Seconds,
         store: RuntimeStore? = nil, restored: RuntimeSettings = RuntimeSettings(), recorder: Recorder? = nil,
         openSessions: [SessionRecord] = [], checkpointSeconds: Double = 15, changes: ChangeSignal? = nil,
         wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.configuration = configuration
        self.changes = changes
        self.chargers = chargers
        self.drivers = drivers
        self.logger = logger
        self.store = store
        self.recorder = recorder
        self.wallClock = wallClock
        localClock = LocalClock(timeZone: configuration.timeZone)
        let settings = configuration.coreSettings(ownFailsafeTimeouts: drivers.map(\.failsafeTimeout), recordSessions: recorder != nil,
                                                  checkpointSeconds: checkpointSeconds)
        var core = try ControlCore(settings: settings, now: now)
        let closed = core.resume(openSessions: openSessions)
        let logs = core.restore(restored, wall: wallClock())
        self.core = Mutex(core)
        recorder?.record(closed)
        emit(logs)
        for (index, charger) in chargers.enumerated() { charger.attach(control: self, index: index) }
    }

    /// A new reading of the grid meter: the loops run on it at once.
    package func gridPolled(_ readings: [Reading], time: Seconds) {
        step(now: time, sample: GridReading.sample(readings, time: time))
    }

    /// A new reading of a zone meter: it counts at the next step (dynamic zones get what the other loads leave).
    package func zonePolled(_ zone: Int, _ readings: [Reading], time: Seconds) {
        guard let sample = GridReading.sample(readings, time: time) else { return }
        core.withLock { $0.recordZone(zone, sample) }
    }

    /// A reading of the meter whose tariff decides off-peak: its `tariff` counts at the next step.
    package func tariffPolled(_ readings: [Reading], time: Seconds) {
        let tariff = readings.first { $0.name == "tariff" }.flatMap { reading -> Double? in
            if case .success(.number(let value)) = reading.value { value } else { nil }
        }
        let wall = wallClock()
        carryOut(core.withLock { $0.tariffRead(tariff, now: time, wall: wall) })
    }

    /// The meter whose tariff decides off-peak (nil: the clock does).
    package var tariffMeter: String? { configuration.load?.offPeak?.tariffSignal?.meter }

    /// A new reading of the PV meter: it counts at the next step (the control timer's).
    package func pvPolled(_ readings: [Reading], time: Seconds) {
        guard let sample = GridReading.power(readings, time: time) else { return }
        core.withLock { $0.recordPV(sample) }
    }

    /// A new reading of the house battery's meter: it counts at the next step.
    package func batteryPolled(_ readings: [Reading], time: Seconds) {
        guard let sample = GridReading.power(readings, time: time) else { return }
        core.withLock { $0.recordBattery(sample) }
    }

    /// Load-management state of every zone, from the last step.
    package var zoneReports: [ZoneReport] { core.withLock { $0.zoneReports } }

    /// A raw input value (Modbus or file); nil = unreadable (keeps the last debounced value).
    package func inputRead(_ id: String, raw: Bool?, now: Seconds) {
        let wall = wallClock()
        carryOut(core.withLock { $0.inputRead(id, raw: raw, now: now, wall: wall) })
    }

    /// The utility gateway's registers (`limit`, `heartbeat`): a failed request is unreadable
    /// (the timeout decides), a value that decodes to nothing is a bad value (failsafe at once).
    package func utilityGatewayRead(_ readings: [Reading], now: Seconds) {
        func value(_ name: String) -> UtilityGateway.Value? {
            guard let reading = readings.first(where: { $0.name == name }) else { return nil }
            switch reading.value {
            case .success(.number(let number)): return .number(number)
            case .failure(.readFailed(let reason)): return .unreadable(reason)
            case .failure(let reason): return .invalid(reason.description)
            case .success: return .invalid("not a number")
            }
        }
        let wall = wallClock()
        let limit = value("limit") ?? .unreadable("not read")
        carryOut(core.withLock { $0.utilityGatewayRead(limit: limit, heartbeat: value("heartbeat"), now: now, wall: wall) })
    }

    /// One control step: charger statuses in, setpoints out to the drivers, views refreshed.
    package func step(now: Seconds, sample: GridSample? = nil) {
        let started = ContinuousClock.now
        defer { BridgeMetrics.step.record(duration: ContinuousClock.now - started) }
        let wall = wallClock()
        let localTime = localClock.localTime(unix: wall)
        let result = stepLock.withLock { _ -> StepResult in
            let statuses = drivers.map { $0.poll(now: now) }
            let (result, settingsChanged) = core.withLock { core in
                let result = core.step(now: now, wall: wall, localTime: localTime, statuses: statuses, sample: sample)
                // failsafe entries are known at once, not when the views are shown
                for index in chargers.indices { chargers[index].failsafeEntries(core.failsafeEntries(index)) }
                return (result, core.takeSettingsChanged())
            }
            if settingsChanged { saveSettingsSoon() }
            guard !result.chargers.isEmpty else { return result }   // stopped: the chargers stay where they were left
            for index in drivers.indices {
                let effect = result.chargers[index]
                if let push = effect.pushFailsafe { drivers[index].setFailsafe(current: push.current, timeout: push.timeout) }
                drivers[index].apply(setpoint: effect.decision.amperes, phases: effect.phases)
            }
            // the views show each charger's status after its setpoint was applied
            let applied = drivers.map { $0.poll(now: now) }
            let (views, site) = core.withLock { core in
                for index in applied.indices { core.publish(index, status: applied[index]) }
                let view = core.view
                return (view.chargers, SiteFacts(view))
            }
            if shownSite.withLock({ shown in defer { shown = site }; return shown != site }) { changes?.raise() }
            for index in chargers.indices {
                chargers[index].show(views[index])
                drivers[index].operatorState(enabled: views[index].enabled, forced: views[index].forced)
            }
            return result
        }
        emit(result.logs)
        recorder?.record(result.storage)
    }

    /// A master's request through one of a charger's faces; nil when it was taken (a refused request changes nothing).
    package func masterRequest(charger index: Int, _ commands: [MasterCommand], master: String?, now: Seconds) -> (problem: String?, view: ChargerView) {
        let wall = wallClock()
        let (refused, problem, effects, view) = core.withLock { core in
            let outcome = core.masterRequest(charger: index, commands, master: master, now: now, wall: wall)
            return (outcome.refused, outcome.problem, outcome.effects, core.chargerView(index))
        }
        if let refused, let problem {
            logger.notice("refused \(refused.description): \(problem)", metadata: ["charger": "\(chargers[index].config.id)"])
        }
        carryOut(effects)
        return (problem, view)
    }

    /// On shutdown every charger is left at its failsafe current (see `ControlCore.leaveSafe`);
    /// after this no command or step moves them again.
    package func leaveSafe() {
        // with the command lock (taken first, as `execute` does): no command is half-way when it stops
        let storage = commandLock.withLock { _ in
            stepLock.withLock { _ -> [StorageChange] in
                let wall = wallClock()
                let (left, views) = core.withLock { core in (core.leaveSafe(wall: wall), core.view.chargers) }
                for index in drivers.indices {
                    drivers[index].apply(setpoint: left.decisions[index].amperes, phases: nil)
                    chargers[index].show(views[index])   // the northbound views show what the charger was left at
                }
                return left.storage
            }
        }
        recorder?.record(storage)
    }

    func emit(_ logs: [CoreLog]) {
        for line in logs {
            let metadata: Logger.Metadata? = line.charger.map { ["charger": .string($0)] }
            switch line.level {
            case .info: logger.info("\(line.message)", metadata: metadata)
            case .notice: logger.notice("\(line.message)", metadata: metadata)
            case .warning: logger.warning("\(line.message)", metadata: metadata)
            }
        }
    }

    func carryOut(_ effects: Effects) {
        emit(effects.logs)
        recorder?.record(effects.storage)
    }

    package func view() -> ControlView { core.withLock { $0.view } }

    /// One line about the site for the status output.
    package var statusLine: String {
        let (view, active) = core.withLock { ($0.view, $0.activeInputs) }
        let zones = view.zones.suffix(configuration.load?.zones.count ?? 0)   // the configured zones, not the fuse above them
        let zoneText = zones.isEmpty ? "" : "  zones: " + zones.map {
            String(format: "%@ %.0f/%.0f A state %d %@", $0.id, $0.allocated.max() ?? 0, $0.available.max() ?? 0, $0.state.rawValue, $0.mode.rawValue)
        }.joined(separator: ", ")
        let site: String
        if configuration.gridMeter == nil {
            site = "site: no grid meter configured"
        } else if let grid = view.grid {
            let currents = grid.currents.map { String(format: "%5.1f", $0) }.joined(separator: "/")
            site = String(format: "site: grid %@ A  %6.0f W", currents, grid.power) + (active.isEmpty ? "" : "  inputs: " + active.joined(separator: ","))
        } else {
            site = "site: grid meter LOST"
        }
        return site + zoneText
    }
}

/// The parts of the control's view that are the site's own (not a charger's): what the MQTT site,
/// zone and input entities show.
struct SiteFacts: Equatable {
    package var grid: GridSample?
    package var meterOnline: Bool?
    package var inputs: SiteInputs
    package var inputValues: [String: Bool]
    package var zones: [ZoneReport]
    package var operatorLimits: [String: [Double]]

    package init(_ view: ControlView) {
        grid = view.grid
        meterOnline = view.meterOnline
        inputs = view.inputs
        inputValues = view.inputValues
        zones = view.zones
        operatorLimits = view.operatorLimits
    }
}
