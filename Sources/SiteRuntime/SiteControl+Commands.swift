import ControlCore
import EnergyControl
import Foundation
import Logging
import StorageModel
import Synchronization

/// Operator commands (MQTT). A command is checked on a copy of the core, its settings saved in
/// the database, and only then applied: a rejected or unsaved command changes nothing.
extension SiteControl {
    /// Applies `value` to the entity `id`; returns what changed, for the log. Commands run one at a
    /// time; the database is written outside the control lock, so a slow disk never delays a control step.
    package func execute(_ command: CommandKind, id: String, _ value: CommandValue) throws(CommandRejection) -> String {
        if command == .zoneSetpoint || command == .zoneHeartbeat { return try remoteZone(command, id: id, value, controller: "mqtt", now: -.infinity) }
        return try commandLock.withLock { (_: inout Void) throws(CommandRejection) -> String in
            let (outcome, settings, saved) = try core.withLock { (core: inout ControlCore) throws(CommandRejection) -> (CommandOutcome, RuntimeSettings, RuntimeSettings) in
                var next = core
                let outcome = try next.apply(command, id: id, value)
                return (outcome, next.runtimeSettings, core.saved)
            }
            // acknowledged, but a command that changes nothing has nothing to save, log or record:
            // a client repeating itself must not fill the log and the event table (one fsync each)
            guard outcome.changed else { return outcome.change }
            var change = outcome.change
            var stored = true
            // (a forced charge or a phase selection is not a setting; a repeated command changes nothing to save)
            if let store, settings != saved {
                do {
                    try store.save(settings)
                } catch {
                    // a utility's power limit holds even when the disk fails: refusing it would leave
                    // the chargers above what the grid operator allows (it is told as not kept)
                    guard command == .powerLimit else { throw CommandRejection("not saved, so not applied: \(error)") }
                    stored = false
                    change += " (applied, but not saved: \(error); send it again after a restart)"
                }
            }
            // leaveSafe waits for the command lock, so nothing stopped the service since the check
            try core.withLock { (core: inout ControlCore) throws(CommandRejection) in
                _ = try core.apply(command, id: id, value)
                if stored { core.markSaved(settings) }
            }
            logger.notice("\(command.rawValue) of \(id): \(change)")
            recorder?.event(.settingChanged, subject: id, "\(command.rawValue): \(change)")
            return change
        }
    }

    /// What a step changed of the saved settings (a plan's session target, a plan's end), saved
    /// off the control step; with the command lock, so a command's save and this one never cross.
    /// Not saved (a full disk): logged, and tried again at the next change or command.
    func saveSettingsSoon() {
        guard let store else { return }
        saves.async { [self] in
            commandLock.withLock { _ in
                let (settings, saved) = core.withLock { ($0.runtimeSettings, $0.saved) }
                guard settings != saved else { return }
                do {
                    try store.save(settings)
                    core.withLock { $0.markSaved(settings) }
                } catch {
                    logger.error("runtime settings not saved: \(error)")
                }
            }
        }
    }

    /// A zone's remote setpoint or heartbeat (MQTT, the Modbus zone block): not saved; checked
    /// and applied in one go by the core. `now` earlier than the last step means "at the last step".
    package func remoteZone(_ command: CommandKind, id: String, _ value: CommandValue, controller: String, now: Seconds) throws(CommandRejection) -> String {
        let wall = wallClock()
        let (problem, effects) = core.withLock { core -> (String?, Effects) in
            switch (command, value) {
            case (.zoneSetpoint, .zoneLimit(let limit?)): return core.zoneSetpoint(zone: id, limit, controller: controller, now: now, wall: wall)
            default: return (core.zoneHeartbeat(zone: id, controller: controller, now: now), Effects())
            }
        }
        carryOut(effects)
        if let problem { throw CommandRejection(problem) }
        return command == .zoneSetpoint ? "setpoint" : "heartbeat"
    }
}
