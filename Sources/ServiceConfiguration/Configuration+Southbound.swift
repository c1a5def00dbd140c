import DataFiles
import LinkValues
import RegisterMaps

/// How the bridge reaches a charger it drives as a Modbus master (`driver: modbus` with a charger
/// map; `driver: vestel` is `driver: modbus` with the map vestel-evc04).
public struct SouthboundSettings: Sendable {
    public var endpoint: Endpoint
    public var unit: Int
    public var map: RegisterMap
    public var period: Double = 1
    public var timeoutMilliseconds: Int
    /// The charger's own watchdog timeout; the map says how and how often it is fed.
    public var failsafeTimeout = 20

    /// The map of `driver: vestel`.
    static let vestelMap = "vestel-evc04"

    /// `defaultMap`: the map when none is given (nil: `map:` is required).
    /// Quantities every charger map must have besides its status: without them the bridge cannot
    /// control it safely.
    public static let requiredCurrents = ["current.l1", "current.l2", "current.l3"]

    static func parse(_ node: YAMLNode, defaultMap: String?) throws(DataFileError) -> SouthboundSettings {
        var fields = try node.fields()
        let mapNode = try defaultMap == nil ? fields.required("map") : fields.optional("map")
        let reference = try mapNode?.string() ?? defaultMap!
        guard let path = MapCatalog.standard().resolve(reference) else {
            throw (mapNode ?? node).error(MapCatalog.standard().notFound(reference))
        }
        let map = try MapLoader.load(file: path)
        guard map.charger != nil else {
            throw (mapNode ?? node).error("map \(path) cannot drive a charger: it has no charger: section (status table, setpoint, watchdog; see Registers/README.md)")
        }
        let names = Set(map.quantities.map(\.name))
        let missing = Self.requiredCurrents.filter { !names.contains($0) }
        guard missing.isEmpty else {
            throw (mapNode ?? node).error("map \(path) cannot drive a charger: it lacks \(missing.joined(separator: ", "))")
        }
        let endpoint = try Configuration.parseEndpoint(&fields, owner: node, defaults: map.transport)
        var settings = SouthboundSettings(endpoint: endpoint, unit: map.transport.unit, map: map,
                                          timeoutMilliseconds: map.transport.timeoutMilliseconds)
        if let unit = fields.optional("unit") { settings.unit = try unit.integer(in: 0...255) }
        if let period = fields.optional("period_ms") { settings.period = Double(try period.integer(in: 100...60_000)) / 1000 }
        if let timeout = fields.optional("timeout_ms") { settings.timeoutMilliseconds = try timeout.integer(in: 50...10_000) }
        if let timeout = fields.optional("failsafe_timeout_s") { settings.failsafeTimeout = try timeout.integer(in: 2...3600) }
        try fields.finish()
        return settings
    }
}
