import RegisterMaps

/// The operator's read-only HTTP endpoint (`http:`): `/metrics`, `/health` and the status page.
public struct HTTPSettings: Sendable, Equatable {
    /// Loopback unless configured: the page shows the site (ids, masters' addresses) to whoever can reach it.
    public var bind = "127.0.0.1"
    public var port = 8080
    /// Connections served at once; more wait in the listen queue.
    public var maxConnections = 32
    /// A request with a larger body is refused (nothing here takes a body).
    public var maxBodyBytes = 4_096
    /// The status page reloads itself this often.
    public var refreshSeconds = 5
    /// The status page's charts take a sample this often (the hour chart holds 360 of them).
    public var historyPeriodSeconds = 10

    static func parse(_ node: YAMLNode) throws(DataFileError) -> HTTPSettings {
        var fields = try node.fields()
        var settings = HTTPSettings()
        if let bind = fields.optional("bind") { settings.bind = try bind.string() }
        if let port = fields.optional("port") { settings.port = try port.integer(in: 1...65535) }
        if let connections = fields.optional("max_connections") { settings.maxConnections = try connections.integer(in: 1...1_024) }
        if let body = fields.optional("max_body_bytes") { settings.maxBodyBytes = try body.integer(in: 0...1_048_576) }
        if let refresh = fields.optional("refresh_s") { settings.refreshSeconds = try refresh.integer(in: 1...3_600) }
        // below 10 s the 360 samples cover less than the hour shown (tests); above 60 s the hour has few points
        if let period = fields.optional("history_period_s") { settings.historyPeriodSeconds = try period.integer(in: 1...60) }
        try fields.finish()
        return settings
    }
}
