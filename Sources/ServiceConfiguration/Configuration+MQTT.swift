import Foundation
import LinkValues
import RegisterMaps

/// The `mqtt:` section: the broker, the topic contract and Home Assistant discovery.
public struct MQTTSettings: Sendable {
    public var options = MQTTOptions()
    /// Overrides the contract's prefix (several bridges on one broker).
    public var prefix: String?
    public var republishInterval: Double?
    public var qos: Int32 = 1
    public var topics = "Mappings/mqtt.yaml"
    public var discovery = true
    public var discoveryPrefix = "homeassistant"
    public var discoveryTemplates = "Mappings/homeassistant.yaml"

    static func parse(_ node: YAMLNode) throws(DataFileError) -> MQTTSettings {
        var fields = try node.fields()
        var settings = MQTTSettings()
        var options = MQTTOptions()
        // two bridges with the same client id would take turns throwing each other off the broker
        options.clientID = String("chargebridge-\(ProcessInfo.processInfo.hostName)".prefix(64))
        if let host = fields.optional("host") { options.host = try host.string() }
        if let port = fields.optional("port") { options.port = try port.integer(in: 1...65535) }
        if let version = fields.optional("protocol") {
            let text = try version.string()
            guard let value = MQTTOptions.ProtocolVersion(rawValue: text) else { throw version.error("must be \"3.1.1\" or \"5\", got \"\(text)\"") }
            options.protocolVersion = value
        }
        if let id = fields.optional("client_id") {
            options.clientID = try id.string()
            guard (1...64).contains(options.clientID.utf8.count) else { throw id.error("1…64 characters") }
        }
        if let user = fields.optional("username") { options.username = try user.string() }
        let password = fields.optional("password"), passwordFile = fields.optional("password_file")
        if let password { options.password = try password.string() }
        if let passwordFile {
            if password != nil { throw passwordFile.error("give password or password_file, not both") }
            let path = try passwordFile.string()
            guard let data = FileManager.default.contents(atPath: path) else { throw passwordFile.error("cannot read \(path)") }
            options.password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        if let tls = fields.optional("tls") { options.tls = try parseTLS(tls) }
        if let keepalive = fields.optional("keepalive_s") { options.keepalive = try keepalive.integer(in: 5...3600) }
        if let min = fields.optional("reconnect_min_s") { options.reconnectMin = try min.number(in: 0.1...600) }
        if let max = fields.optional("reconnect_max_s") { options.reconnectMax = try max.number(in: 0.1...3600) }
        if options.reconnectMax < options.reconnectMin {
            throw node.error("reconnect_max_s \(options.reconnectMax) is below reconnect_min_s \(options.reconnectMin)")
        }
        if let prefix = fields.optional("prefix") { settings.prefix = try TopicText.levels(prefix) }
        if let interval = fields.optional("republish_s") { settings.republishInterval = Double(try interval.integer(in: 0...86_400)) }
        if let qos = fields.optional("qos") { settings.qos = Int32(try qos.integer(in: 0...2)) }
        if let topics = fields.optional("topics") { settings.topics = try topics.string() }
        if let discovery = fields.optional("discovery") { settings.discovery = try discovery.bool() }
        if let prefix = fields.optional("discovery_prefix") { settings.discoveryPrefix = try TopicText.levels(prefix) }
        if let templates = fields.optional("discovery_templates") { settings.discoveryTemplates = try templates.string() }
        try fields.finish()
        settings.options = options
        return settings
    }

    static func parseTLS(_ node: YAMLNode) throws(DataFileError) -> MQTTOptions.TLS {
        var fields = try node.fields()
        func file(_ key: String, required: Bool) throws(DataFileError) -> String? {
            guard let node = required ? try fields.required(key) : fields.optional(key) else { return nil }
            let path = try node.string()
            guard FileManager.default.isReadableFile(atPath: path) else { throw node.error("cannot read \(path)") }
            return path
        }
        var tls = MQTTOptions.TLS(caFile: try file("ca", required: true)!)
        tls.certFile = try file("cert", required: false)
        tls.keyFile = try file("key", required: false)
        if (tls.certFile == nil) != (tls.keyFile == nil) { throw node.error("a client certificate needs both cert and key") }
        if let insecure = fields.optional("insecure") { tls.insecure = try insecure.bool() }
        try fields.finish()
        return tls
    }
}
