import EnergyControl
import Foundation
import Logging
import Synchronization

/// Operator commands (MQTT) and the settings they leave behind. A command is checked against its
/// target, saved in the database, and only then applied: a rejected or unsaved
/// command changes nothing.
extension SiteControl {
    /// Applies `value` to the entity `id`; returns what changed, for the log. Commands run one at a
    /// time; the database is written outside the control lock, so a slow disk never delays a control step.
    func execute(_ command: CommandKind, id: String, _ value: CommandValue) throws(CommandRejection) -> String {
        try commandLock.withLock { (_: inout Void) throws(CommandRejection) -> String in
            if command == .phases { return try selectPhases(id: id, value) }
            // checked on a copy first: a command that fails or cannot be saved changes nothing
            let (change, settings, saved) = try state.withLock { (state: inout State) throws(CommandRejection) -> (String, RuntimeSettings, RuntimeSettings) in
                guard !state.stopped else { throw CommandRejection("the service is stopping") }
                var next = state
                let change = try apply(command, id: id, value, to: &next)
                return (change, Self.settings(of: next, configuration: configuration), state.saved)
            }
            // (a forced charge is not a setting; a repeated command changes nothing to save)
            if let store, settings != saved {
                do {
                    try store.save(settings)
                } catch {
                    throw CommandRejection("not saved, so not applied: \(error)")
                }
            }
            // leaveSafe waits for the command lock, so nothing stopped the service since the check
            try state.withLock { (state: inout State) throws(CommandRejection) in
                _ = try apply(command, id: id, value, to: &state)
                state.saved = settings
            }
            logger.notice("\(command.rawValue) of \(id): \(change)")
            recorder?.event(.settingChanged, subject: id, "\(command.rawValue): \(change)")
            return change
        }
    }

    /// Like an EMS's write of register 405: not a setting, nothing to save.
    private func selectPhases(id: String, _ value: CommandValue) throws(CommandRejection) -> String {
        guard let charger = chargers.first(where: { $0.config.id == id }) else { throw CommandRejection("no charger \"\(id)\"") }
        guard case .phases(let phases) = value else { throw CommandRejection("phases does not take this value") }
        if let problem = ChargerPoint.phaseProblem(phases, limits: charger.config.limits) { throw CommandRejection(problem) }
        guard !state.withLock({ $0.stopped }) else { throw CommandRejection("the service is stopping") }
        charger.select(phases: phases)
        logger.notice("phases of \(id): \(phases)")
        recorder?.event(.settingChanged, subject: id, "phases: \(phases)")
        return "\(phases) phase(s)"
    }

    private func apply(_ command: CommandKind, id: String, _ value: CommandValue, to state: inout State) throws(CommandRejection) -> String {
        switch (command, value) {
        case (.operatorLimit, .zoneLimit(let limit)):
            guard let zone = configuration.load?.zones.first(where: { $0.id == id }), state.controller.load != nil else {
                throw CommandRejection("no zone \"\(id)\"")
            }
            // one number for every phase is taken at most the zone's limit per phase; a list per phase must fit as given
            let uniform = limit.map { Set($0).count == 1 } ?? false
            if let limit, uniform, limit[0] > zone.limit.max()! {
                throw CommandRejection("\(limit[0]) A is above the zone's limit of \(zone.limit.max()!) A")
            }
            let clipped = uniform ? limit.map { value in zip(value, zone.limit).map { min($0, $1) } } : limit
            do { try state.controller.load!.setOperatorLimit(zone: id, clipped) } catch { throw CommandRejection("\(error)") }
            return clipped.map { "operator limit \($0.map { String(format: "%g", $0) }.joined(separator: "/")) A" } ?? "operator limit cleared"
        case (.input, .flag(let active)):
            guard let input = configuration.inputs.first(where: { $0.id == id }) else { throw CommandRejection("no input \"\(id)\"") }
            guard case .mqtt = input.source else { throw CommandRejection("input \"\(id)\" is read from its \(input.source.kind), not set over MQTT") }
            state.remoteInputs[id] = active
            return active ? "signal on" : "signal off"
        default:
            break
        }
        guard let index = chargers.firstIndex(where: { $0.config.id == id }) else { throw CommandRejection("no charger \"\(id)\"") }
        let limits = chargers[index].config.limits
        switch (command, value) {
        case (.mode, .mode(let mode)):
            state.runtime[index].mode = mode
            return "mode \(mode.rawValue)"
        case (.currentLimit, .amperes(let amperes)):
            guard limits.acceptsRequest(amperes) else { throw CommandRejection("\(amperes) A is out of range: 0 or \(limits.minCurrent)…\(limits.ceiling) A") }
            state.runtime[index].currentLimit = amperes >= limits.ceiling ? nil : amperes
            return "current limit \(amperes) A"
        case (.enable, .flag(let enabled)):
            state.runtime[index].enabled = enabled
            return enabled ? "enabled" : "disabled"
        case (.force, .flag(let forced)):
            state.runtime[index].forced = forced
            return forced ? "forced charge for this session" : "forced charge cancelled"
        default:
            throw CommandRejection("\(command.rawValue) does not take this value")
        }
    }

    /// The settings to save: only what differs from the configuration.
    static func settings(of state: State, configuration: Configuration) -> RuntimeSettings {
        var settings = RuntimeSettings()
        for (charger, runtime) in zip(configuration.chargers, state.runtime) {
            let saved = RuntimeSettings.Charger(mode: runtime.mode == charger.mode ? nil : runtime.mode.rawValue,
                                                currentLimit: runtime.currentLimit, enabled: runtime.enabled ? nil : false)
            if saved != RuntimeSettings.Charger() { settings.chargers[charger.id] = saved }
        }
        if let load = state.controller.load {
            for (zone, limit) in zip(load.settings.zones.map(\.id), load.operatorLimits) { if let limit { settings.zoneLimits[zone] = limit } }
        }
        settings.inputs = state.remoteInputs
        return settings
    }

    /// Puts saved settings back at start. What no longer fits the configuration (a charger that is
    /// gone, a limit above a new maximum) is dropped with a warning.
    static func restore(_ settings: RuntimeSettings, into state: inout State, configuration: Configuration, logger: Logger) {
        for (id, saved) in settings.chargers {
            guard let index = configuration.chargers.firstIndex(where: { $0.id == id }) else {
                logger.warning("runtime state: no charger \"\(id)\" any more; its settings are dropped")
                continue
            }
            let limits = configuration.chargers[index].limits
            if let text = saved.mode {
                if let mode = ChargeMode(rawValue: text) { state.runtime[index].mode = mode } else { logger.warning("runtime state: \(id): unknown mode \(text) dropped") }
            }
            if let limit = saved.currentLimit {
                if limits.acceptsRequest(limit) { state.runtime[index].currentLimit = limit } else { logger.warning("runtime state: \(id): current limit \(limit) A no longer fits and is dropped") }
            }
            if saved.enabled == false { state.runtime[index].enabled = false }
        }
        for (zone, limit) in settings.zoneLimits {
            do {
                guard state.controller.load != nil else { throw LoadManager.Problem.unknownZone(zone) }
                try state.controller.load!.setOperatorLimit(zone: zone, limit)
            } catch {
                logger.warning("runtime state: operator limit of zone \(zone) dropped: \(error)")
            }
        }
        for (id, value) in settings.inputs {
            guard let input = configuration.inputs.first(where: { $0.id == id }), case .mqtt = input.source else {
                logger.warning("runtime state: no MQTT input \"\(id)\" any more; its value is dropped")
                continue
            }
            state.remoteInputs[id] = value
            // in force from the first step: a utility's signal does not wait for a debounce after a restart
            state.inputs[id] = DebouncedInput(initial: value != input.invert, debounce: input.debounce)
        }
        state.saved = settings
        if settings != RuntimeSettings() { logger.notice("runtime settings restored: \(settings.chargers.count) charger(s), \(settings.zoneLimits.count) zone limit(s), \(settings.inputs.count) input(s)") }
    }
}

/// What the northbound views show of the control, taken in one lock.
struct ControlView: Sendable {
    struct Charger: Sendable {
        var mode: ChargeMode
        var currentLimit: Int?
        var enabled: Bool
        var forced: Bool
    }
    var grid: GridSample?
    var meterOnline: Bool?
    var inputs: SiteInputs
    /// Debounced value of every input by id (true = active; for `enable`, true = charging allowed).
    var inputValues: [String: Bool]
    var chargers: [Charger]
    var zones: [ZoneReport]
    var operatorLimits: [String: [Double]]
}

extension SiteControl {
    func view() -> ControlView {
        state.withLock { state in
            var limits: [String: [Double]] = [:]
            if let load = state.controller.load {
                for (zone, limit) in zip(load.settings.zones.map(\.id), load.operatorLimits) { if let limit { limits[zone] = limit } }
            }
            return ControlView(grid: state.meterLost ? nil : state.lastGrid, meterOnline: configuration.gridMeter == nil ? nil : !state.meterLost,
                               inputs: siteInputs(state), inputValues: state.inputs.filter { !state.inputsUnreadable.contains($0.key) }.mapValues(\.value),
                               chargers: state.runtime.map { ControlView.Charger(mode: $0.mode, currentLimit: $0.currentLimit, enabled: $0.enabled, forced: $0.forced) },
                               zones: state.controller.load?.reports ?? [], operatorLimits: limits)
        }
    }
}
