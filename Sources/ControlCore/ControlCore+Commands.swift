import EnergyControl
import StorageModel

/// Operator commands (MQTT) and the settings they leave behind. The caller checks a command on a
/// copy, saves `runtimeSettings` of the copy, and only then applies it: a rejected or unsaved
/// command changes nothing.
extension ControlCore {
    /// Applies `value` to the entity `id`; says what it set, for the log, and whether that changed
    /// anything (a repeated command is acknowledged but neither logged nor recorded).
    public mutating func apply(_ command: CommandKind, id: String, _ value: CommandValue) throws(CommandRejection) -> CommandOutcome {
        let before = footprint(command, id: id)
        let change = try set(command, id: id, value)
        return CommandOutcome(change: change, changed: footprint(command, id: id) != before)
    }

    /// Everything `command` on `id` can change, compared before and after it.
    private func footprint(_ command: CommandKind, id: String) -> CommandFootprint? {
        switch command {
        case .operatorLimit:
            guard let load = controller.load, let zone = load.zoneIndex(id) else { return nil }
            return .zone(load.operatorLimits[zone])
        case .input:
            return .input(remoteInputs[id])
        case .zoneSetpoint, .zoneHeartbeat:
            return nil
        case .powerLimit:
            return .utility(utilityCommandW)
        case .plan:
            guard let index = chargerIndex[id] else { return nil }
            return .plan(plans[index]?.command)
        case .mode, .currentLimit, .enable, .force, .phases:
            guard let index = chargerIndex[id] else { return nil }
            return .charger(runtime[index], faces[index].requestedPhases)
        }
    }

    private mutating func set(_ command: CommandKind, id: String, _ value: CommandValue) throws(CommandRejection) -> String {
        guard !stopped else { throw CommandRejection("the service is stopping") }
        switch (command, value) {
        case (.operatorLimit, .zoneLimit(let limit)):
            guard let zone = settings.load?.zones.first(where: { $0.id == id }), controller.load != nil else {
                throw CommandRejection("no zone \"\(id)\"")
            }
            // one number for every phase is taken at most the zone's limit per phase; a list per phase must fit as given
            let uniform = limit.map { Set($0).count == 1 } ?? false
            if let limit, uniform, limit[0] > zone.limit.max()! {
                throw CommandRejection("\(limit[0]) A is above the zone's limit of \(zone.limit.max()!) A")
            }
            let clipped = uniform ? limit.map { value in zip(value, zone.limit).map { min($0, $1) } } : limit
            do { try controller.load!.setOperatorLimit(zone: id, clipped) } catch { throw CommandRejection("\(error)") }
            return clipped.map { "operator limit \($0.map { formatAmperes($0) }.joined(separator: "/")) A" } ?? "operator limit cleared"
        case (.input, .flag(let active)):
            guard let index = inputIndex[id] else { throw CommandRejection("no input \"\(id)\"") }
            guard settings.inputs[index].remote else {
                throw CommandRejection("input \"\(id)\" is read from its \(settings.inputs[index].source), not set over MQTT")
            }
            remoteInputs[id] = active
            return active ? "signal on" : "signal off"
        case (.powerLimit, .watts(let watts)):
            guard id == "site" else { throw CommandRejection("the power limit is the site's, not \"\(id)\"'s") }
            if let watts, !(watts.isFinite && watts >= 0 && watts <= Self.mostPowerLimitW) { throw CommandRejection("expected 0…10000 kW or none") }
            utilityCommandW = watts
            guard let watts else { return "utility power limit lifted" }
            let floor = utilityFloorW
            return "utility power limit \(formatKilowatts(watts)) kW" + (watts < floor ? " (the chargers keep the §14a minimum of \(formatKilowatts(floor)) kW)" : "")
        default:
            break
        }
        guard let index = chargerIndex[id] else { throw CommandRejection("no charger \"\(id)\"") }
        let limits = settings.chargers[index].limits
        defer { refreshView(index) }
        switch (command, value) {
        case (.mode, .mode(let mode)):
            runtime[index].mode = mode
            return "mode \(mode.rawValue)"
        case (.currentLimit, .amperes(let amperes)):
            guard limits.acceptsRequest(amperes) else { throw CommandRejection("\(amperes) A is out of range: 0 or \(limits.minCurrent)…\(limits.ceiling) A") }
            runtime[index].currentLimit = amperes >= limits.ceiling ? nil : amperes
            return "current limit \(amperes) A"
        case (.enable, .flag(let enabled)):
            runtime[index].enabled = enabled
            return enabled ? "enabled" : "disabled"
        case (.force, .flag(let forced)):
            runtime[index].forced = forced
            return forced ? "forced charge for this session" : "forced charge cancelled"
        case (.plan, .plan(let command)):
            return try setPlan(index, command)
        case (.phases, .phases(let phases)):
            // like a master's phases request: not a setting, nothing to save
            if let problem = Self.phaseProblem(phases, limits: limits) { throw CommandRejection(problem) }
            faces[index].requestedPhases = phases
            return "\(phases) phase(s)"
        default:
            throw CommandRejection("\(command.rawValue) does not take this value")
        }
    }

    /// The largest utility power limit taken (10 MW): more is no limit a grid operator sends.
    static let mostPowerLimitW = 10_000_000.0

    /// Why `phases` cannot be selected on a charger with `limits`, or nil when it can.
    public static func phaseProblem(_ phases: Int, limits: ChargerLimits) -> String? {
        guard phases == 1 || phases == 3 else { return "phases must be 1 or 3" }
        return limits.canSwitchPhases || phases == limits.phases ? nil : "this charger cannot switch phases"
    }

    /// The settings to save: only what differs from the configuration.
    public var runtimeSettings: RuntimeSettings {
        var result = RuntimeSettings()
        for (charger, runtime) in zip(settings.chargers, runtime) {
            let saved = RuntimeSettings.Charger(mode: runtime.mode == charger.mode ? nil : runtime.mode.rawValue,
                                                currentLimit: runtime.currentLimit, enabled: runtime.enabled ? nil : false)
            if saved != RuntimeSettings.Charger() { result.chargers[charger.id] = saved }
        }
        if let load = controller.load {
            for (zone, limit) in zip(load.settings.zones.map(\.id), load.operatorLimits) { if let limit { result.zoneLimits[zone] = limit } }
        }
        result.inputs = remoteInputs
        result.powerLimitW = utilityCommandW
        for (index, state) in plans { result.plans[settings.chargers[index].id] = state.saved }
        return result
    }

    /// Records that `settings` are what the database holds now.
    public mutating func markSaved(_ settings: RuntimeSettings) { saved = settings }

    /// Whether steps changed what is saved since the last call (then the host saves `runtimeSettings`).
    public mutating func takeSettingsChanged() -> Bool {
        defer { settingsChanged = false }
        return settingsChanged
    }

    /// Puts saved settings back at start. What no longer fits the configuration (a charger that is
    /// gone, a limit above a new maximum) is dropped with a warning.
    /// - Parameter wall: Unix seconds now: a plan whose departure has passed is dropped.
    public mutating func restore(_ restored: RuntimeSettings, wall: Double? = nil) -> [CoreLog] {
        var logs: [CoreLog] = []
        for (id, saved) in restored.chargers.sorted(by: { $0.key < $1.key }) {
            guard let index = chargerIndex[id] else {
                logs.append(CoreLog(.warning, "runtime state: no charger \"\(id)\" any more; its settings are dropped"))
                continue
            }
            let limits = settings.chargers[index].limits
            if let text = saved.mode {
                if let mode = ChargeMode(rawValue: text) { runtime[index].mode = mode } else { logs.append(CoreLog(.warning, "runtime state: \(id): unknown mode \(text) dropped")) }
            }
            if let limit = saved.currentLimit {
                if limits.acceptsRequest(limit) { runtime[index].currentLimit = limit } else { logs.append(CoreLog(.warning, "runtime state: \(id): current limit \(limit) A no longer fits and is dropped")) }
            }
            if saved.enabled == false { runtime[index].enabled = false }
            refreshView(index)
        }
        for (zone, limit) in restored.zoneLimits.sorted(by: { $0.key < $1.key }) {
            do {
                guard controller.load != nil else { throw LoadManager.Problem.unknownZone(zone) }
                try controller.load!.setOperatorLimit(zone: zone, limit)
            } catch {
                logs.append(CoreLog(.warning, "runtime state: operator limit of zone \(zone) dropped: \(error)"))
            }
        }
        for (id, value) in restored.inputs.sorted(by: { $0.key < $1.key }) {
            guard let index = inputIndex[id], settings.inputs[index].remote else {
                logs.append(CoreLog(.warning, "runtime state: no MQTT input \"\(id)\" any more; its value is dropped"))
                continue
            }
            remoteInputs[id] = value
            // in force from the first step: a utility's signal does not wait for a debounce after a restart
            inputs[id] = DebouncedInput(initial: value != settings.inputs[index].invert, debounce: settings.inputs[index].debounce)
        }
        if let watts = restored.powerLimitW {
            if watts.isFinite, watts >= 0, watts <= Self.mostPowerLimitW {
                utilityCommandW = watts
                logs.append(CoreLog(.notice, "runtime state: utility power limit \(formatKilowatts(watts)) kW holds again"))
            } else {
                logs.append(CoreLog(.warning, "runtime state: utility power limit \(watts) W is no power and is dropped"))
            }
        }
        logs += restorePlans(restored.plans, wall: wall)
        saved = restored
        if restored != RuntimeSettings() {
            logs.append(CoreLog(.notice, "runtime settings restored: \(restored.chargers.count) charger(s), \(restored.zoneLimits.count) zone limit(s), \(restored.inputs.count) input(s), \(plans.count) plan(s)"))
        }
        return logs
    }
}

/// Amperes as an operator wrote them: no trailing zeros ("16", "12.5").
func formatAmperes(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
