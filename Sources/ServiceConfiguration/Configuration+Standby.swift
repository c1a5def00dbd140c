import Foundation
import RegisterMaps

/// The `standby:` section: two instances share one configuration and the site's MQTT broker
/// decides which of them steers the chargers (a lease on a retained leader topic).
public struct StandbySettings: Sendable, Equatable {
    /// The main instance takes the chargers back whenever it runs (the Vestel EVC08 installation
    /// guideline's "Master"); the backup steers only while the main one is away ("Backup Master").
    public enum Role: String, Sendable, CaseIterable { case main, backup }

    public var role: Role
    /// This instance's name on the broker; unique per site (default: host name and role).
    public var instance: String
    /// How long a leader may go unheard before the standby takes over; the leader itself lets go
    /// of the chargers after half of it without reaching the broker.
    public var leaseSeconds: Double = 6

    public init(role: Role, instance: String? = nil, leaseSeconds: Double = 6) {
        self.role = role
        self.instance = instance ?? Self.defaultInstance(role)
        self.leaseSeconds = leaseSeconds
    }

    public static func defaultInstance(_ role: Role) -> String {
        String("\(ProcessInfo.processInfo.hostName)-\(role.rawValue)".prefix(48))
    }

    /// Checked like the topic levels it becomes part of.
    public static func checkInstance(_ name: String) -> String? {
        guard (1...48).contains(name.utf8.count) else { return "1…48 characters" }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else { return "letters, digits, - _ . only (it is a topic level)" }
        return nil
    }

    static func parse(_ node: YAMLNode) throws(DataFileError) -> StandbySettings {
        var fields = try node.fields()
        let roleNode = try fields.required("role")
        let text = try roleNode.string()
        guard let role = Role(rawValue: text) else { throw roleNode.error("main or backup, got \"\(text)\"") }
        var settings = StandbySettings(role: role)
        if let instance = fields.optional("instance") {
            let name = try instance.string()
            if let problem = checkInstance(name) { throw instance.error(problem) }
            settings.instance = name
        }
        if let lease = fields.optional("lease_s") { settings.leaseSeconds = try lease.number(in: 3...60) }
        try fields.finish()
        return settings
    }
}
