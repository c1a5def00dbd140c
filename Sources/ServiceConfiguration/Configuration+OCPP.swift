import Foundation
import RegisterMaps

/// The OCPP central system (`ocpp:`, 1.6J and 2.0.1): where charge points connect, TLS, heartbeats, id tags.
public struct OCPPSettings: Sendable, Equatable {
    public var bind = "127.0.0.1"
    public var port = 9000
    /// URL path before the charge point id: ws(s)://host:port/<path>/<id>.
    public var path = "ocpp"
    /// PEM certificate chain and key for wss:// (security profiles 2 and 3); nil: ws:// (profile 1).
    public var certificate: String?
    public var key: String?
    /// PEM file of the CA whose certificates charge points present (security profile 3).
    public var clientCA: String?
    public var heartbeatSeconds = 60
    public var maxFrameBytes = 65_536
    /// nil: every id tag is accepted (Authorize, StartTransaction); else only these.
    public var allowedTags: [String]?

    static func parse(_ node: YAMLNode) throws(DataFileError) -> OCPPSettings {
        var fields = try node.fields()
        var settings = OCPPSettings()
        if let bind = fields.optional("bind") { settings.bind = try bind.string() }
        if let port = fields.optional("port") { settings.port = try port.integer(in: 1...65535) }
        if let path = fields.optional("path") {
            settings.path = try path.string().trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard settings.path.allSatisfy({ $0.isLetter || $0.isNumber || "/-_.".contains($0) }) else {
                throw path.error("a URL path of letters, digits, / - _ .")
            }
        }
        if let tls = fields.optional("tls") {
            var files = try tls.fields()
            let certificate = try files.required("certificate"), key = try files.required("key"), clientCA = files.optional("client_ca")
            settings.certificate = try certificate.string()
            settings.key = try key.string()
            settings.clientCA = try clientCA?.string()
            let readable = [(certificate, settings.certificate), (key, settings.key), (clientCA, settings.clientCA)]
            for case let (node?, path?) in readable where !FileManager.default.isReadableFile(atPath: path) {
                throw node.error("cannot read \(path)")
            }
            try files.finish()
        }
        if let heartbeat = fields.optional("heartbeat_s") { settings.heartbeatSeconds = try heartbeat.integer(in: 10...86_400) }
        if let frames = fields.optional("max_frame_bytes") { settings.maxFrameBytes = try frames.integer(in: 4_096...1_048_576) }
        if let tags = fields.optional("authorize") {
            if (try? tags.string()) == "all" {
                settings.allowedTags = nil
            } else {
                settings.allowedTags = try tags.list().map { node throws(DataFileError) in try node.string() }
            }
        }
        try fields.finish()
        return settings
    }
}

/// One OCPP charger (`driver: ocpp`, `ocpp: { … }` in its entry).
public struct OCPPChargerSettings: Sendable, Equatable {
    /// The charge point id in its URL, its basic-auth user and (profile 3) its certificate's CN.
    public var chargePointId: String
    /// Basic auth; optional only for security profile 3 (checked as well when given).
    public var password: String?
    /// OCPP security profile 1 (ws://, password), 2 (wss://, password) or 3 (wss://, client
    /// certificate); nil until the configuration resolves the default (1 without TLS, 2 with).
    public var securityProfile: Int?
    public var connector = 1
    /// tx_default or charge_point_max.
    public var purpose = "tx_default"
    /// A or W: what the charger takes in its schedules.
    public var unit = "A"
    /// Seconds one dynamic profile is valid (renewed at half); the charger's own fallback time.
    public var validitySeconds = 60
    public var meterIntervalSeconds = 10
    /// The OCPP versions it may speak: "1.6", "2.0.1" or "auto" (both; 2.0.1 when it offers it).
    public var version = "auto"
    /// OCPP 1.6: the configuration key that limits its current in amperes (the installer names it
    /// from the charger's manual); the fallback ladder's last rung. nil: no such rung.
    public var limitKey: String?

    static func parse(_ node: YAMLNode, chargerId: String) throws(DataFileError) -> OCPPChargerSettings {
        var fields = try node.fields()
        let id = try fields.optional("id")?.string() ?? chargerId
        guard !id.isEmpty, id.count <= 48, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw node.error("a charge point id is 1–48 letters, digits, - _ .")
        }
        let profile = try fields.optional("security_profile")?.integer(in: 1...3)
        let password: String?
        if let text = fields.optional("password") {
            password = try text.string()
        } else if let file = fields.optional("password_file") {
            let path = try file.string()
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else { throw file.error("cannot read \(path)") }
            password = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if profile == 3 {
            password = nil   // the client certificate authenticates the charge point
        } else {
            throw DataFileError(file: node.file, line: node.line, field: "\(node.path).password",
                                message: "missing required field: a password (or password_file) for the charge point's basic auth (only security_profile: 3 goes without)")
        }
        if let password, password.count < 8 || password.count > 40 {
            throw node.error("the password must be 8–40 characters (OCPP security profiles 1–3)")
        }
        var settings = OCPPChargerSettings(chargePointId: id, password: password, securityProfile: profile)
        if let connector = fields.optional("connector") { settings.connector = try connector.integer(in: 1...16) }
        if let purpose = fields.optional("profile") {
            settings.purpose = try purpose.string()
            guard ["tx_default", "charge_point_max"].contains(settings.purpose) else { throw purpose.error("tx_default or charge_point_max") }
        }
        if let unit = fields.optional("unit") {
            settings.unit = try unit.string()
            guard ["A", "W"].contains(settings.unit) else { throw unit.error("A or W") }
        }
        if let validity = fields.optional("validity_s") { settings.validitySeconds = try validity.integer(in: 4...3600) }
        if let version = fields.optional("version") {
            settings.version = try version.string()
            guard ["1.6", "2.0.1", "auto"].contains(settings.version) else { throw version.error("\"1.6\", \"2.0.1\" or auto") }
        }
        if let key = fields.optional("limit_key") {
            let name = try key.string()
            // a configuration key: CiString50 (OCPP 1.6 §7.8), printable ASCII
            guard !name.isEmpty, name.count <= 50, name.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
                throw key.error("a configuration key of 1–50 printable ASCII characters")
            }
            settings.limitKey = name
        }
        if let interval = fields.optional("meter_interval_s") { settings.meterIntervalSeconds = try interval.integer(in: 1...3600) }
        try fields.finish()
        return settings
    }
}
