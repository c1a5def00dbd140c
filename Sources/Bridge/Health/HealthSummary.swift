import Foundation

/// What an operator (or a monitoring system) needs to know at a glance: published retained as JSON
/// on `<prefix>/health` every `health_s`, and logged at info level. Built from the service's views.
struct HealthSummary: Encodable, Equatable {
    var uptimeSeconds: Int
    var chargers: Int
    var chargersOffline: [String]
    var chargersInFailsafe: [String]
    var metersOffline: [String]
    var gridMeter: String
    var storage: String
    var pendingWrites: Int

    enum CodingKeys: String, CodingKey {
        case uptimeSeconds = "uptime_s", chargers, chargersOffline = "chargers_offline", chargersInFailsafe = "chargers_in_failsafe"
        case metersOffline = "meters_offline", gridMeter = "grid_meter", storage, pendingWrites = "pending_writes"
    }

    /// ok: everything answers and is recorded; degraded: something is offline or failing.
    var status: String {
        chargersOffline.isEmpty && metersOffline.isEmpty && gridMeter != "lost" && storage != "failing" ? "ok" : "degraded"
    }

    var json: String {
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(Wrapped(status: status, summary: self)), as: UTF8.self)) ?? "{}"
    }

    var line: String {
        "health \(status): \(chargers - chargersOffline.count)/\(chargers) chargers online"
            + (chargersOffline.isEmpty ? "" : " (offline: \(chargersOffline.joined(separator: ", ")))")
            + (chargersInFailsafe.isEmpty ? "" : ", failsafe: \(chargersInFailsafe.joined(separator: ", "))")
            + (metersOffline.isEmpty ? "" : ", meters offline: \(metersOffline.joined(separator: ", "))")
            + ", grid meter \(gridMeter), storage \(storage)\(pendingWrites > 0 ? " (\(pendingWrites) waiting)" : "")"
    }
}
