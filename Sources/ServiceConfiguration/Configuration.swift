import Authorization
import DataFiles
import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
import SmartMeters
import SunSpec
import SiteConfiguration
import SimulatedDevices
import LinkValues

/// The service's configuration (YAML). Loading validates everything; an unsafe configuration
/// never starts.
public struct Configuration: Sendable {
    public enum ModbusMode: String, Sendable { case perCharger = "per-charger", gateway }

    public struct Northbound: Sendable {
        public var mode: ModbusMode = .perCharger
        /// Loopback unless configured: who can reach a listener can try to steer.
        public var bind = "127.0.0.1"
        /// Who may write (nil: anyone who can connect; only allowed on loopback listeners).
        public var allowWrite: [AddressRange]?
        /// Connections served beside the master of each listener.
        public var maxReaders = 8
        /// Listener port in gateway mode.
        public var port = 502
        public var frameTimeoutMilliseconds = 1000
        /// The face every charger is served through unless it names its own (Mappings/modbus/NAME.yaml).
        public var face = "evc08"
        /// Gateway mode: more gateways, each serving every charger through another face.
        public var moreGateways: [FaceBinding] = []
        /// The zone setpoint block: a unit of the gateway (gateway mode) or a listener of its own
        /// (per-charger mode); nil: zone setpoints only over MQTT.
        public var zoneBlock: ZoneBlock?
    }

    public struct Identity: Sendable {
        public var serial: String
        public var brand = "chargebridge"
        public var model = "EVC08"
        public var firmware = "chargebridge"
        /// The fields the configuration states (`identity:`); the others are the face's defaults,
        /// which say nothing about the charger behind it.
        public var configured: Set<String> = []
    }

    public struct Charger: Sendable {
        public var id: String
        public var name: String
        public var driver = "simulated"
        public var limits: ChargerLimits
        public var failsafeCurrent: Int
        public var failsafeTimeout: Int
        public var ratedPowerW: Int
        /// Per-charger listener (per-charger mode; the address defaults to `modbus.bind`).
        public var bind: String?
        public var port: Int = 502
        /// Unit id (gateway mode; a per-charger listener answers every unit id).
        public var unit: Int = 255
        /// Who may write to this charger's listener (per-charger mode; nil: `modbus.allow_write`).
        public var allowWrite: [AddressRange]?
        /// The listener takes no writes at all.
        public var readOnly = false
        /// This charger's face (nil: `modbus.face`), and more listeners with other faces (per-charger mode).
        public var face: String?
        public var moreFaces: [FaceBinding] = []
        public var identity: Identity
        public var simulatedEVs: [SimulatedEV] = []
        /// The charger's own Modbus interface (`driver: modbus` or `vestel`); nil for simulated chargers.
        public var southbound: SouthboundSettings?
        /// The charge point behind `driver: ocpp`.
        public var ocpp: OCPPChargerSettings?
        /// Forwarded to a CPO backend as an OCPP 1.6J charge point (nil: not forwarded).
        public var uplink: ChargerUplinkSettings?
        /// Follow-the-sun mode (max-hybrid: no sun limit).
        public var mode: ChargeMode = .maxHybrid
        /// Zone, wiring, plug id and priority in the load management.
        public var placement = ChargerPlacement()
        /// Its own `authorization:` (mode, offline, uid), over its zone's and the site's.
        public var authorization = AuthorizationOverride()
        /// Appended to the tags presented here to find list entries for this charger only (Bender §5.5).
        public var uidPostfix: String?
    }

    /// A meter polled through its register map.
    public struct Meter: Sendable {
        public var id: String
        public var mapFile: String
        public var map: RegisterMap
        public var endpoint: Endpoint
        public var unit: Int
        public var period: Seconds = 0.5
        public var timeoutMilliseconds: Int
        /// A smart meter's consumer port (the endpoint is its serial line); nil: polled over Modbus.
        public var port: SmartMeterPort?
        /// Quantities that arrive over MQTT (the endpoint is unused); nil: not an MQTT meter.
        public var mqtt: MQTTMeterValues?
        /// Read through SunSpec (`map: sunspec`): the model chain is found on the device; nil: a register map.
        public var sunspec: SunSpecSelection?
        /// What it measures for the loops (nil: shown only, or a zone's meter).
        public var role: MeterRole?
        /// `sign: inverted`: its power readings are negated (a PV or battery meter counting the other way).
        public var powerInverted = false
        /// `average_s`: increases follow this meter's moving average over so long (0: every sample).
        public var averageSeconds: Double = 0

        /// Polled over Modbus (not a smart meter's port, not MQTT).
        public var polled: Bool { port == nil && mqtt == nil }
    }

    /// Where an input's boolean comes from.
    public enum InputSource: Sendable {
        /// A file such as /sys/class/gpio/gpio17/value ("0"/"1").
        case file(String)
        /// A coil, discrete input or register (non-zero = active) of a Modbus I/O device.
        case modbus(endpoint: Endpoint, unit: Int, function: RegisterFunction, address: Int)
        /// Set over MQTT (`<prefix>/input/<id>/active/set`), e.g. by a ripple-control receiver.
        case mqtt

        public var kind: String {
            switch self {
            case .file: "file"
            case .modbus: "modbus"
            case .mqtt: "mqtt"
            }
        }
    }

    public struct Input: Sendable {
        public var id: String
        public var role: InputRole
        public var source: InputSource
        public var invert = false
        public var debounce: Seconds = 0.1
        public var period: Seconds = 0.2
    }

    public var file: String
    public var siteName = "chargebridge"
    public var site = SiteSettings()
    /// The time zone of time of use, off-peak and priority hours (`site.time_zone`, IANA name; the machine's by default).
    public var timeZone = TimeZone.current
    /// The meter that measures the grid connection (power optimizer, follow-the-sun).
    public var gridMeter: String?
    /// The PV meter (`role: pv`): the sun modes' surplus without a grid meter, a cross-check with one.
    public var pvMeter: String?
    /// The house battery's meter (`role: battery`).
    public var batteryMeter: String?
    public var meters: [Meter] = []
    public var inputs: [Input] = []
    /// The utility's power limit read from a gateway's register (nil: none).
    public var utilityGateway: UtilityGatewayInput?
    public var northbound = Northbound()
    public var tickMilliseconds = 100
    public var chargers: [Charger] = []
    /// Load management across zones (nil: only the main fuse is shared).
    public var load: LoadSettings?
    /// Zone meters: meter id → zone index (the zone is dynamic).
    public var zoneMeters: [String: Int] = [:]
    /// MQTT northbound (nil: none).
    public var mqtt: MQTTSettings?
    /// The OCPP central system, when any charger uses `driver: ocpp`.
    public var ocpp: OCPPSettings?
    /// Who may charge: modes per site, zone and charger, the UID format, the initial list.
    public var authorization = AuthorizationSettings()
    /// The operator's read-only HTTP endpoint (nil: none).
    public var http: HTTPSettings?
    /// Dynamic prices for charging plans (nil: none; a plan then charges as early as it can).
    public var prices: PriceSettings?
    /// False with `ems: none`: no energy manager steers this site, so running at the failsafe
    /// current is its normal, local state and never an alarm.
    public var emsExpected = true
    /// The database: sessions, events, operator settings changed at run time (nil: nothing is kept).
    public var storage: StorageSettings?
    /// A second instance stands by (nil: this one always steers).
    public var standby: StandbySettings?
    /// The SEMP face towards an SMA Sunny Home Manager (nil: none).
    public var semp: SEMPSettings?
    /// The face files named by the configuration, loaded, by reference.
    public var faceMaps: [String: RegisterMap] = [:]

    public static func load(file path: String) throws(DataFileError) -> Configuration {
        try parse(try YAMLNode.readText(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(DataFileError) -> Configuration {
        var config = Configuration(file: file)
        var top = try YAMLNode.parse(text, file: file).fields()
        if let site = top.optional("site") {
            var fields = try site.fields()
            if let name = fields.optional("name") { config.siteName = try name.string() }
            if let meter = fields.optional("grid_meter") { config.gridMeter = try meter.string() }
            if let zone = fields.optional("time_zone") {
                let name = try zone.string()
                guard let timeZone = TimeZone(identifier: name) else {
                    throw zone.error("unknown time zone \"\(name)\" (an IANA name such as Europe/Brussels)")
                }
                config.timeZone = timeZone
            }
            var gatewayNode: YAMLNode?
            config.site = try SiteSettingsParser.parse(&fields) { node throws(DataFileError) in gatewayNode = node }
            if let gatewayNode { config.utilityGateway = try parseUtilityGateway(gatewayNode) }
            try fields.finish()
        }
        let meterNodes = try top.optional("meters")?.list() ?? []
        for node in meterNodes { config.meters.append(try parseMeter(node, file: file)) }
        for node in try top.optional("inputs")?.list() ?? [] { config.inputs.append(try parseInput(node)) }
        try checkBuses(config, file: file)
        try applyRoles(&config, nodes: meterNodes)
        if let grid = config.gridMeter, !config.meters.contains(where: { $0.id == grid }) {
            throw DataFileError(file: file, line: nil, field: "site.grid_meter", message: "no meter with id \"\(grid)\" under meters")
        }
        if config.site.sun.carMayDischargeBattery || config.site.sun.carBeforeBattery, config.batteryMeter == nil {
            throw DataFileError(file: file, line: nil, field: "site.battery", message: "the battery settings need a meter with role: battery")
        }
        if config.site.fuse.limit != nil, config.gridMeter == nil {
            throw DataFileError(file: file, line: nil, field: "site.grid_meter",
                                message: "a fuse limit needs a grid meter (without one the power optimizer would run blind)")
        }
        let loadNode = top.optional("load_management")
        if let load = loadNode {
            var zoneMeters: [String: Int] = [:]
            var zoneAuthorization: [Int: AuthorizationOverride] = [:]
            var settings = try LoadSettingsParser.parse(load) { (fields: inout YAMLFields, index: Int) throws(DataFileError) in
                if let node = fields.optional("authorization") { zoneAuthorization[index] = try AuthorizationSettings.parseOverride(node) }
                guard let meter = fields.optional("meter") else { return }
                let id = try meter.string()
                guard config.meters.contains(where: { $0.id == id }) else { throw meter.error("no meter with id \"\(id)\" under meters") }
                guard ![config.gridMeter, config.pvMeter, config.batteryMeter].contains(id), zoneMeters[id] == nil else {
                    throw meter.error("meter \"\(id)\" already measures something else")
                }
                zoneMeters[id] = index
            }
            for index in zoneMeters.values { settings.zones[index].dynamic = true }
            for (index, level) in zoneAuthorization { config.authorization.zones[settings.zones[index].id] = level }
            if let signal = settings.offPeak?.tariffSignal { settings.offPeak?.tariffSignal?.meter = try tariffMeter(signal.meter, config, load) }
            config.load = settings
            config.zoneMeters = zoneMeters
        }
        if let modbus = top.optional("modbus") { config.northbound = try parseNorthbound(modbus) }
        if let mqtt = top.optional("mqtt") { config.mqtt = try MQTTSettings.parse(mqtt) }
        let ocppNode = top.optional("ocpp")
        if let ocppNode { config.ocpp = try OCPPSettings.parse(ocppNode) }
        if let authorization = top.optional("authorization") {
            let zones = config.authorization.zones
            config.authorization = try AuthorizationSettings.parse(authorization)
            config.authorization.zones = zones
        }
        try mergeOldAuthorize(&config, node: ocppNode)
        if let storage = top.optional("storage") { config.storage = try StorageSettings.parse(storage) }
        if let http = top.optional("http") { config.http = try HTTPSettings.parse(http) }
        if let prices = top.optional("prices") {
            config.prices = try PriceSettings.parse(prices)
            if case .mqtt = config.prices?.source, config.mqtt == nil { throw prices.error("prices over MQTT need the site's broker (mqtt:)") }
        }
        let sempNode = top.optional("semp")
        if let sempNode { config.semp = try SEMPSettings.parse(sempNode, site: config.siteName) }
        if let standby = top.optional("standby") {
            config.standby = try StandbySettings.parse(standby)
            guard config.mqtt != nil else { throw standby.error("a standby pair needs the site's MQTT broker (mqtt:): the lease lives there") }
        }
        if let ems = top.optional("ems") {
            switch try ems.string() {
            case "none": config.emsExpected = false
            case "modbus": config.emsExpected = true
            default: throw ems.error("none (no energy manager: the local loops steer) or modbus (the default)")
            }
        }
        if config.mqtt == nil, let meter = config.meters.first(where: { $0.mqtt != nil }) {
            throw DataFileError(file: file, line: nil, field: "meters", message: "meter \(meter.id) reads MQTT topics: configure the broker under mqtt:")
        }
        if let legacy = top.optional("state_file") {
            throw legacy.error("state_file was replaced by storage: { data_dir: FOLDER } (settings, sessions and events live in SQLite there)")
        }
        if let control = top.optional("control") {
            var fields = try control.fields()
            if let tick = fields.optional("tick_ms") {
                config.tickMilliseconds = try tick.integer()
                guard (10...1000).contains(config.tickMilliseconds) else { throw tick.error("must be 10…1000 ms") }
            }
            try fields.finish()
        }
        let uplinkDefaults = try top.optional("uplink").map { node throws(DataFileError) in try ChargerUplinkSettings.parse(node, defaults: nil, chargerId: nil) }
        let chargersNode = try top.required("chargers")
        for node in try chargersNode.list() {
            let charger = try parseCharger(node, mode: config.northbound.mode, zones: config.load?.zones ?? [], uplinkDefaults: uplinkDefaults)
            if [.sunOnly, .sunHybrid].contains(charger.mode), config.gridMeter == nil, config.pvMeter == nil {
                // without one the surplus is never known: the charger would wait at 0 A for ever
                throw node.error("mode \(charger.mode.rawValue) follows the surplus measured by the grid meter: set site.grid_meter, give a PV meter role: pv, or use mode: max-hybrid")
            }
            config.chargers.append(charger)
        }
        if config.chargers.isEmpty { throw chargersNode.error("configure at least one charger") }
        try checkOCPP(&config, chargers: try chargersNode.list(), ocppNode: ocppNode)
        try checkWriteAccess(config, chargers: try chargersNode.list(), modbusNode: top.optional("modbus"))
        try loadFaces(&config, modbusNode: top.optional("modbus"), chargerNodes: try chargersNode.list())
        try top.finish()
        try checkUnique(config, nodes: try chargersNode.list())
        try checkFaceListeners(config, modbusNode: top.optional("modbus"), chargerNodes: try chargersNode.list())
        try checkZoneBlock(config, modbusNode: top.optional("modbus"))
        if let sempNode { try checkSEMP(config, node: sempNode) }
        try LoadSettingsParser.checkPlacements(Array(zip(config.chargers.map(\.placement), try chargersNode.list())), load: config.load,
                                               siteFuse: config.site.fuse.limit != nil, loadNode: loadNode)
        try checkTopicNames(config)
        try applyMeterAverages(&config, meterNodes: try top.optional("meters")?.list() ?? [])
        return config
    }

    static func parseNorthbound(_ node: YAMLNode) throws(DataFileError) -> Northbound {
        var fields = try node.fields()
        var northbound = Northbound()
        if let mode = fields.optional("mode") {
            let text = try mode.string()
            guard let value = ModbusMode(rawValue: text) else { throw mode.error("must be per-charger or gateway, got \"\(text)\"") }
            northbound.mode = value
        }
        if let bind = fields.optional("bind") { northbound.bind = try bind.string() }
        if let port = fields.optional("port") { northbound.port = try port.integer(in: 1...65535) }
        if let timeout = fields.optional("frame_timeout_ms") { northbound.frameTimeoutMilliseconds = try timeout.integer(in: 50...60_000) }
        if let face = fields.optional("face") ?? fields.optional("layout") { northbound.face = try face.string() }
        if let zones = fields.optional("zones") { northbound.zoneBlock = try Configuration.parseZoneBlock(zones, mode: northbound.mode) }
        if let faces = fields.optional("faces") {
            guard northbound.mode == .gateway else { throw faces.error("more gateways are for mode: gateway; in per-charger mode list a charger's faces under its modbus:") }
            northbound.moreGateways = try Configuration.parseFaceBindings(faces)
        }
        if let allow = fields.optional("allow_write") { northbound.allowWrite = try parseAllowWrite(allow) }
        if let readers = fields.optional("max_readers") { northbound.maxReaders = try readers.integer(in: 0...64) }
        try fields.finish()
        return northbound
    }

    /// `allow_write: [CIDR, …]` or `allow_write: any`.
    static func parseAllowWrite(_ node: YAMLNode) throws(DataFileError) -> [AddressRange] {
        if (try? node.string()) == "any" { return [AddressRange("0.0.0.0/0")!, AddressRange("::/0")!] }
        return try node.list().map { item throws(DataFileError) in
            let text = try item.string()
            guard let range = AddressRange(text) else { throw item.error("\"\(text)\" is not an address or a network such as 192.168.1.0/24") }
            return range
        }
    }

    /// A listener others can reach must say who may steer: without `allow_write` (or `read_only`)
    /// the service does not start.
    static func checkWriteAccess(_ config: Configuration, chargers nodes: [YAMLNode], modbusNode: YAMLNode?) throws(DataFileError) {
        let advice = "set allow_write: [ADDRESS/BITS, …] (the energy managers that may steer), allow_write: any, or read_only: true"
        switch config.northbound.mode {
        case .gateway:
            if !AddressRange.isLoopback(config.northbound.bind), config.northbound.allowWrite == nil {
                throw (modbusNode ?? nodes[0]).error("the Modbus gateway listens on \(config.northbound.bind), reachable from the network: \(advice)")
            }
        case .perCharger:
            for (charger, node) in zip(config.chargers, nodes) {
                let bind = charger.bind ?? config.northbound.bind
                guard !AddressRange.isLoopback(bind), !charger.readOnly, (charger.allowWrite ?? config.northbound.allowWrite) == nil else { continue }
                throw node.error("charger \(charger.id) listens on \(bind):\(charger.port), reachable from the network: \(advice)")
            }
        }
    }

    /// Meter and input ids name their devices (and routes readings): each is used once. A serial
    /// device is one bus with one set of line settings.
    static func checkBuses(_ config: Configuration, file: String) throws(DataFileError) {
        var ids = Set<String>()
        var serial: [String: Endpoint] = [:]
        let devices = config.meters.map { ($0.id, $0.mqtt == nil ? $0.endpoint : nil) } + config.inputs.map { input -> (String, Endpoint?) in
            if case .modbus(let endpoint, _, _, _) = input.source { return (input.id, endpoint) }
            return (input.id, nil)
        } + (config.utilityGateway.map { [(UtilityGatewayInput.id, $0.endpoint)] } ?? [])
        // a smart meter's port sends telegrams on its own: nothing else can share the line
        var smart: [String: String] = [:]
        for meter in config.meters where meter.port != nil { smart[meter.endpoint.bus] = meter.id }
        for (id, endpoint) in devices where config.meters.first(where: { $0.id == id })?.mqtt == nil {
            if let endpoint, let owner = smart[endpoint.bus], owner != id {
                throw DataFileError(file: file, line: nil, field: "meters/inputs", message: "\(id): \(endpoint.bus) is the smart-meter port of \(owner)")
            }
            guard ids.insert(id).inserted else {
                throw DataFileError(file: file, line: nil, field: "meters/inputs", message: "id \"\(id)\" is used twice")
            }
            guard let endpoint, case .rtu = endpoint else { continue }
            if let other = serial[endpoint.bus], other != endpoint {
                throw DataFileError(file: file, line: nil, field: "meters/inputs", message: "\(id): \(endpoint.bus) is already used with other line settings (\(other))")
            }
            serial[endpoint.bus] = endpoint
        }
    }

    /// Ids name MQTT topics and Home Assistant entities: one topic level each.
    static func checkTopicNames(_ config: Configuration) throws(DataFileError) {
        let named = config.meters.map { ("meters", $0.id) } + config.inputs.map { ("inputs", $0.id) }
            + (config.load?.zones ?? []).map { ("load_management.zones", $0.id) }
        for (field, id) in named where id.isEmpty || !id.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber || $0 == "-" || $0 == "_" }) {
            throw DataFileError(file: config.file, line: nil, field: field,
                                message: "id \"\(id)\": letters, digits, - and _ only (ids name MQTT topics)")
        }
    }

    static func checkUnique(_ config: Configuration, nodes: [YAMLNode]) throws(DataFileError) {
        var ids: Set<String> = [], units: Set<Int> = [], plugs: Set<Int> = []
        var listeners: [(host: String, port: Int)] = []
        // two listeners clash on one port when they share the address or one of them is a wildcard
        // (0.0.0.0 takes the port on every address): `run` could not bind both
        func clashes(_ a: String, _ b: String) -> Bool { a == b || ["0.0.0.0", "::", ""].contains(a) || ["0.0.0.0", "::", ""].contains(b) }
        var taken: [(host: String, port: Int, what: String)] = []
        if config.northbound.mode == .gateway { taken.append((config.northbound.bind, config.northbound.port, "the Modbus gateway")) }
        if let ocpp = config.ocpp { taken.append((ocpp.bind, ocpp.port, "the OCPP central system")) }
        if let http = config.http {
            if let other = taken.first(where: { $0.port == http.port && clashes($0.host, http.bind) }) {
                throw DataFileError(file: config.file, line: nil, field: "http.port", message: "port \(http.port) on \(http.bind) is used by \(other.what) on \(other.host)")
            }
            taken.append((http.bind, http.port, "the HTTP endpoint"))
        }
        for (index, (charger, node)) in zip(config.chargers, nodes).enumerated() {
            guard ids.insert(charger.id).inserted else { throw node.error("charger id \"\(charger.id)\" is used twice") }
            guard plugs.insert(charger.placement.plug ?? index + 1).inserted else { throw node.error("plug id \(charger.placement.plug ?? index + 1) is used twice") }
            switch config.northbound.mode {
            case .perCharger:
                let bind = charger.bind ?? config.northbound.bind
                if let other = listeners.first(where: { $0.port == charger.port && clashes($0.host, bind) }) {
                    throw node.error("modbus port \(charger.port) on \(bind) is used by another charger on \(other.host) (each charger needs its own port or address)")
                }
                if let other = taken.first(where: { $0.port == charger.port && clashes($0.host, bind) }) {
                    throw node.error("modbus port \(charger.port) on \(bind) is used by \(other.what) on \(other.host)")
                }
                listeners.append((bind, charger.port))
            case .gateway:
                guard units.insert(charger.unit).inserted else { throw node.error("modbus unit \(charger.unit) is used by another charger") }
            }
        }
    }
}
