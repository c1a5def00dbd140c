import ArgumentParser
import Foundation
import Bridge
import LinkValues
import RegisterMaps
import ServiceConfiguration
import StandbyLease

/// `--role` and `--instance`: both machines of a standby pair can share one configuration file.
struct StandbyOptions: ParsableArguments {
    @Option(help: "In a standby pair: main or backup (overrides standby.role).") var role: String?
    @Option(help: "In a standby pair: this instance's name on the broker (overrides standby.instance).") var instance: String?

    func validate() throws {
        if let role, StandbySettings.Role(rawValue: role) == nil { throw ValidationError("--role must be main or backup") }
        if let instance, let problem = StandbySettings.checkInstance(instance) { throw ValidationError("--instance: \(problem)") }
    }

    /// nil, after saying what to do, when the file is the installed starter (comments only).
    func loadUnlessUnconfigured(_ file: String) throws -> Configuration? {
        if let text = try? String(contentsOfFile: file, encoding: .utf8), Configuration.isUnconfigured(text) {
            Console.err("notice: " + Configuration.unconfiguredAdvice(file))
            return nil
        }
        return try load(file)
    }

    /// The configuration file with these overrides applied.
    func load(_ file: String) throws -> Configuration {
        var configuration: Configuration
        do { configuration = try Configuration.load(file: file) } catch { throw CLIError(error.description) }
        guard role != nil || instance != nil else { return configuration }
        guard var standby = configuration.standby else { throw CLIError("--role/--instance need a standby: section in \(file)") }
        if let role, let value = StandbySettings.Role(rawValue: role) {
            let defaultName = standby.instance == StandbySettings.defaultInstance(standby.role)
            standby.role = value
            if defaultName { standby.instance = StandbySettings.defaultInstance(value) }
        }
        if let instance { standby.instance = instance }
        configuration.standby = standby
        return configuration
    }

    /// check-config's lines on the pair.
    static func describe(_ standby: StandbySettings, _ configuration: Configuration) -> [String] {
        let mqtt = configuration.mqtt.map { "\($0.options.host):\($0.options.port)" } ?? "?"
        let prefix = configuration.mqtt?.prefix ?? "chargebridge"
        let topics = StandbyTopics(prefix: prefix, instance: standby.instance)
        let lease = standby.leaseSeconds
        let role = standby.role == .main
            ? "main: leads whenever it runs; finding the backup leading, it asks for the chargers back"
            : "backup: stands by while the main instance leads; takes over when its lease lapses"
        return [
            "standby pair: this instance is \(standby.instance), \(role)",
            "  lease \(topics.leader) on \(mqtt): renewed every \(min(1, lease / 6)) s; taken over after \(lease) s unrenewed,"
                + " \(lease / 2 + 2) s after the last renewal when the leader's last will runs, at once on its tombstone (a clean stop or hand-back);"
                + " a leader that cannot renew it for \(lease / 2) s lets go of the chargers",
            "  standing by: no Modbus listener, no southbound connection, no OCPP; settings kept in step from \(topics.settings)",
        ]
    }
}
