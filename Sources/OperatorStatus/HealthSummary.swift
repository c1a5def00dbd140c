import Foundation
import ServiceSupport
import StandbyLease

/// What an operator (or a monitoring system) needs to know at a glance: published retained as JSON
/// on `<prefix>/health` every `health_s`, and logged at info level. Built from the service's views.
public struct HealthSummary: Encodable, Equatable, Sendable {
    public var uptimeSeconds: Int
    public var chargers: Int
    public var chargersOffline: [String]
    /// Chargers whose energy manager went silent (an alarm).
    public var chargersInFailsafe: [String]
    /// Chargers no energy manager steers (none since the start, or `ems: none`): local control.
    public var chargersLocal: [String] = []
    public var metersOffline: [String]
    public var gridMeter: String
    public var storage: String
    public var pendingWrites: Int
    /// In a standby pair: this instance's role and state (nil: no pair).
    public var standby: LeadershipStatus?

    package init(uptimeSeconds: Int, chargers: Int, chargersOffline: [String], chargersInFailsafe: [String], chargersLocal: [String] = [],
                 metersOffline: [String], gridMeter: String, storage: String, pendingWrites: Int, standby: LeadershipStatus? = nil) {
        self.uptimeSeconds = uptimeSeconds
        self.chargers = chargers
        self.chargersOffline = chargersOffline
        self.chargersInFailsafe = chargersInFailsafe
        self.chargersLocal = chargersLocal
        self.metersOffline = metersOffline
        self.gridMeter = gridMeter
        self.storage = storage
        self.pendingWrites = pendingWrites
        self.standby = standby
    }

    enum CodingKeys: String, CodingKey {
        case uptimeSeconds = "uptime_s", chargers, chargersOffline = "chargers_offline", chargersInFailsafe = "chargers_in_failsafe"
        case chargersLocal = "chargers_local"
        case metersOffline = "meters_offline", gridMeter = "grid_meter", storage, pendingWrites = "pending_writes"
        case standby
    }

    /// ok: everything answers and is recorded; degraded: something is offline or failing;
    /// standby: the other instance of the pair steers the chargers.
    public var status: String {
        if let standby, !standby.leading { return "standby" }
        return chargersOffline.isEmpty && metersOffline.isEmpty && gridMeter != "lost" && storage != "failing" ? "ok" : "degraded"
    }

    public var json: String {
        struct Wrapped: Encodable {
            let status: String
            let summary: HealthSummary
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(status, forKey: Key("status"))
                try summary.encode(to: encoder)
            }
            struct Key: CodingKey {
                let stringValue: String
                init(_ value: String) { stringValue = value }
                init?(stringValue: String) { self.stringValue = stringValue }
                var intValue: Int? { nil }
                init?(intValue _: Int) { nil }
            }
        }
        return (try? SortedJSON.text(Wrapped(status: status, summary: self))) ?? "{}"
    }

    /// Up to three ids, then a count: a 20-charger building at its failsafe stays one readable line
    /// (the full lists are in /health's JSON).
    static func few(_ ids: [String]) -> String {
        ids.count <= 3 ? ids.joined(separator: ", ") : ids.prefix(3).joined(separator: ", ") + " and \(ids.count - 3) more"
    }

    public var line: String {
        "health \(status): " + (standby.map { "\($0.instance) (\($0.role)) \($0.state), " } ?? "") + "\(chargers - chargersOffline.count)/\(chargers) chargers online"
            + (chargersOffline.isEmpty ? "" : " (offline: \(Self.few(chargersOffline)))")
            + (chargersInFailsafe.isEmpty ? "" : ", failsafe: \(Self.few(chargersInFailsafe))")
            + (chargersLocal.isEmpty ? "" : ", local (no energy manager): \(Self.few(chargersLocal))")
            + (metersOffline.isEmpty ? "" : ", meters offline: \(Self.few(metersOffline))")
            + ", grid meter \(gridMeter), storage \(storage)\(pendingWrites > 0 ? " (\(pendingWrites) waiting)" : "")"
    }
}
