import Foundation
import RegisterMaps

/// A charger forwarded to a CPO backend as an OCPP 1.6J charge point of its own (`uplink:` in its
/// entry; defaults for every forwarded charger under the top-level `uplink:`).
public struct ChargerUplinkSettings: Sendable, Equatable {
    /// ws:// or wss:// up to the charge point id (the id is appended).
    public var url = ""
    public var chargePointId = ""
    /// Basic auth (security profile 1, or 2 over wss); nil: none.
    public var password: String?
    /// PEM file of the authorities to trust for wss:// (nil: the system's).
    public var ca: String?
    /// Until the backend's BootNotification answer sets its own.
    public var heartbeatSeconds = 300
    public var meterIntervalSeconds = 60
    /// The id tag of a transaction nobody presented a tag for.
    public var idTag = "chargebridge"
    /// A plugged vehicle starts a transaction (false: it waits for a tag or the backend's remote start).
    public var autostart = true
    /// accept_all, local_list (ocpp.authorize) or reject: id tags while the backend is unreachable.
    public var offline = "local_list"
    /// Most transaction messages kept per charger while the backend is away.
    public var maxQueued = 1000

    static let offlineModes = ["accept_all", "local_list", "reject"]

    /// Reads `uplink:` over `defaults` (the top-level section). `chargerId` names the charge point
    /// unless `id:` does; nil parses the top-level section, which has no id.
    static func parse(_ node: YAMLNode, defaults: ChargerUplinkSettings?, chargerId: String?) throws(DataFileError) -> ChargerUplinkSettings {
        var fields = try node.fields()
        var settings = defaults ?? ChargerUplinkSettings()
        if let url = fields.optional("url") {
            settings.url = try url.string()
            guard let scheme = URLComponents(string: settings.url)?.scheme?.lowercased(), ["ws", "wss"].contains(scheme),
                  URLComponents(string: settings.url)?.host?.isEmpty == false else {
                throw url.error("a ws:// or wss:// URL of the backend, up to the charge point id (e.g. wss://cpo.example.com/ocpp)")
            }
        }
        if let chargerId {
            let id = try fields.optional("id")?.string() ?? chargerId
            guard !id.isEmpty, id.count <= 48, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw node.error("a charge point id is 1–48 letters, digits, - _ .")
            }
            settings.chargePointId = id
        }
        if let text = fields.optional("password") {
            settings.password = try text.string()
        } else if let file = fields.optional("password_file") {
            let path = try file.string()
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else { throw file.error("cannot read \(path)") }
            settings.password = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let password = settings.password, password.isEmpty || password.count > 40 {
            throw node.error("the backend's password must be 1–40 characters (OCPP security profile 1/2)")
        }
        if let ca = fields.optional("ca") {
            settings.ca = try ca.string()
            guard FileManager.default.isReadableFile(atPath: settings.ca!) else { throw ca.error("cannot read \(settings.ca!)") }
        }
        if let heartbeat = fields.optional("heartbeat_s") { settings.heartbeatSeconds = try heartbeat.integer(in: 10...86_400) }
        if let interval = fields.optional("meter_interval_s") { settings.meterIntervalSeconds = try interval.integer(in: 1...3600) }
        if let tag = fields.optional("id_tag") {
            settings.idTag = try tag.string()
            guard (1...20).contains(settings.idTag.count), settings.idTag.allSatisfy(\.isASCII) else { throw tag.error("an id tag is 1–20 ASCII characters") }
        }
        if let autostart = fields.optional("autostart") { settings.autostart = try autostart.bool() }
        if let offline = fields.optional("offline") {
            settings.offline = try offline.string()
            guard Self.offlineModes.contains(settings.offline) else { throw offline.error(Self.offlineModes.joined(separator: ", ")) }
        }
        if let max = fields.optional("max_queued") { settings.maxQueued = try max.integer(in: 10...100_000) }
        try fields.finish()
        if chargerId != nil, settings.url.isEmpty {
            throw DataFileError(file: node.file, line: node.line, field: "\(node.path).url", message: "missing required field: the backend's url (here or under the top-level uplink:)")
        }
        return settings
    }
}
