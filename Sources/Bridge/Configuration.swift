import DataFiles
import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
import SiteConfiguration
import SimulatedDevices
import Modbus
import MQTT

/// The service's configuration (YAML). Loading validates everything; an unsafe configuration
/// never starts.
public struct Configuration: Sendable {
    public enum ModbusMode: String, Sendable { case perCharger = "per-charger", gateway }

    public struct Northbound: Sendable {
        public var mode: ModbusMode = .perCharger
        public var bind = "0.0.0.0"
        /// Listener port in gateway mode.
        public var port = 502
        public var frameTimeoutMilliseconds = 1000
        /// The slave register layout (Mappings/modbus/evc08.yaml by default).
        public var layout = "Mappings/modbus/evc08.yaml"
    }

    public struct Identity: Sendable {
        public var serial: String
        public var brand = "chargebridge"
        public var model = "EVC08"
        public var firmware = "chargebridge"
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
        public var identity: Identity
        public var simulatedEVs: [SimulatedEV] = []
        /// The charger's own Modbus interface (`driver: vestel`); nil for simulated chargers.
        public var southbound: SouthboundSettings?
        /// Follow-the-sun mode (max-hybrid: no sun limit).
        public var mode: ChargeMode = .maxHybrid
        /// Zone, wiring, plug id and priority in the load management.
        public var placement = ChargerPlacement()
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
    public var meters: [Meter] = []
    public var inputs: [Input] = []
    public var northbound = Northbound()
    public var tickMilliseconds = 100
    public var chargers: [Charger] = []
    /// Load management across zones (nil: only the main fuse is shared).
    public var load: LoadSettings?
    /// Zone meters: meter id → zone index (the zone is dynamic).
    public var zoneMeters: [String: Int] = [:]
    /// MQTT northbound (nil: none).
    public var mqtt: MQTTSettings?
    /// The database: sessions, events, operator settings changed at run time (nil: nothing is kept).
    public var storage: StorageSettings?

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
            config.site = try SiteSettingsParser.parse(&fields)
            try fields.finish()
        }
        for node in try top.optional("meters")?.list() ?? [] { config.meters.append(try parseMeter(node, file: file)) }
        for node in try top.optional("inputs")?.list() ?? [] { config.inputs.append(try parseInput(node)) }
        try checkBuses(config, file: file)
        if let grid = config.gridMeter, !config.meters.contains(where: { $0.id == grid }) {
            throw DataFileError(file: file, line: nil, field: "site.grid_meter", message: "no meter with id \"\(grid)\" under meters")
        }
        if config.site.fuse.limit != nil, config.gridMeter == nil {
            throw DataFileError(file: file, line: nil, field: "site.grid_meter",
                                message: "a fuse limit needs a grid meter (without one the power optimizer would run blind)")
        }
        let loadNode = top.optional("load_management")
        if let load = loadNode {
            var zoneMeters: [String: Int] = [:]
            var settings = try LoadSettingsParser.parse(load) { (fields: inout YAMLFields, index: Int) throws(DataFileError) in
                guard let meter = fields.optional("meter") else { return }
                let id = try meter.string()
                guard config.meters.contains(where: { $0.id == id }) else { throw meter.error("no meter with id \"\(id)\" under meters") }
                guard id != config.gridMeter, zoneMeters[id] == nil else { throw meter.error("meter \"\(id)\" already measures something else") }
                zoneMeters[id] = index
            }
            for index in zoneMeters.values { settings.zones[index].dynamic = true }
            config.load = settings
            config.zoneMeters = zoneMeters
        }
        if let modbus = top.optional("modbus") { config.northbound = try parseNorthbound(modbus) }
        if let mqtt = top.optional("mqtt") { config.mqtt = try MQTTSettings.parse(mqtt) }
        if let storage = top.optional("storage") { config.storage = try StorageSettings.parse(storage) }
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
        let chargersNode = try top.required("chargers")
        for node in try chargersNode.list() {
            config.chargers.append(try parseCharger(node, mode: config.northbound.mode, zones: config.load?.zones ?? []))
        }
        if config.chargers.isEmpty { throw chargersNode.error("configure at least one charger") }
        try top.finish()
        try checkUnique(config, nodes: try chargersNode.list())
        try LoadSettingsParser.checkPlacements(Array(zip(config.chargers.map(\.placement), try chargersNode.list())), load: config.load,
                                               siteFuse: config.site.fuse.limit != nil, loadNode: loadNode)
        try checkTopicNames(config)
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
        if let layout = fields.optional("layout") { northbound.layout = try layout.string() }
        try fields.finish()
        return northbound
    }

    static func parseCharger(_ node: YAMLNode, mode: ModbusMode, zones: [ZoneSettings]) throws(DataFileError) -> Charger {
        var fields = try node.fields()
        let idNode = try fields.required("id")
        let id = try idNode.string()
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw idNode.error("an id is letters, digits, - and _ (it names MQTT topics and log lines)")
        }
        let name = try fields.optional("name")?.string() ?? id
        let driverNode = fields.optional("driver")
        let driver = try driverNode?.string() ?? "simulated"
        guard ["simulated", "vestel"].contains(driver) else {
            throw driverNode!.error("unknown driver \"\(driver)\" (available: vestel — an EVC04/EVC08 over Modbus TCP, simulated)")
        }
        var limits = ChargerLimits()
        let minNode = fields.optional("min_current"), maxNode = fields.optional("max_current")
        if let minNode { limits.minCurrent = try minNode.integer(in: 6...80) }
        if let maxNode { limits.maxCurrent = try maxNode.integer(in: 6...80) }
        if limits.minCurrent > limits.maxCurrent {
            throw (minNode ?? maxNode ?? node).error("min_current \(limits.minCurrent) A is above max_current \(limits.maxCurrent) A")
        }
        if let cable = fields.optional("cable_max_current") {
            limits.cableMaxCurrent = try cable.integer(in: 6...80)
            if limits.cableMaxCurrent! < limits.minCurrent { throw cable.error("the cable cannot carry the minimum current \(limits.minCurrent) A") }
        }
        if let phases = fields.optional("phases") {
            limits.phases = try phases.integer()
            guard limits.phases == 1 || limits.phases == 3 else { throw phases.error("must be 1 or 3") }
        }
        if let switching = fields.optional("phase_switching") {
            limits.canSwitchPhases = try switching.bool()
            if limits.canSwitchPhases, limits.phases != 3 { throw switching.error("phase switching needs a three-phase charger") }
        }
        var failsafeCurrent = limits.minCurrent
        if let node = fields.optional("failsafe_current") {
            failsafeCurrent = try node.integer()
            if failsafeCurrent > limits.ceiling {
                throw node.error("unsafe: failsafe current \(failsafeCurrent) A is above the charger's maximum \(limits.ceiling) A")
            }
            guard limits.acceptsRequest(failsafeCurrent) else {
                throw node.error("must be 0 (stop) or \(limits.minCurrent)…\(limits.ceiling) A")
            }
        }
        let failsafeTimeout = try fields.optional("failsafe_timeout_s").map { node throws(DataFileError) in try node.integer(in: 1...3600) } ?? 20
        let ratedPower = try fields.optional("rated_power_w").map { node throws(DataFileError) in try node.integer(in: 1000...500_000) }
            ?? limits.maxCurrent * 230 * limits.phases
        var charger = Charger(id: id, name: name, driver: driver, limits: limits, failsafeCurrent: failsafeCurrent,
                              failsafeTimeout: failsafeTimeout, ratedPowerW: ratedPower, identity: Identity(serial: "CB-\(id)"))
        let modbusNode = fields.optional("modbus")
        if let modbusNode {
            var modbus = try modbusNode.fields()
            if let bind = modbus.optional("bind") { charger.bind = try bind.string() }
            if let port = modbus.optional("port") { charger.port = try port.integer(in: 1...65535) }
            if let unit = modbus.optional("unit") { charger.unit = try unit.integer(in: 1...255) }
            try modbus.finish()
        }
        if let identity = fields.optional("identity") { charger.identity = try parseIdentity(identity, default: charger.identity) }
        let southbound = fields.optional("southbound"), simulation = fields.optional("simulation")
        switch (driver, southbound, simulation) {
        case ("vestel", let southbound?, nil): charger.southbound = try SouthboundSettings.parse(southbound)
        case ("vestel", nil, _): throw (driverNode ?? node).error("driver vestel needs southbound: { tcp: HOST:PORT } (the charger's Modbus TCP address)")
        case ("vestel", _, let simulation?): throw simulation.error("simulation is for driver: simulated")
        case (_, let southbound?, _): throw southbound.error("southbound is for driver: vestel")
        default: if let simulation { charger.simulatedEVs = try parseSimulation(simulation, limits: limits) }
        }
        if let mode = fields.optional("mode") {
            let text = try mode.string()
            guard let value = ChargeMode(rawValue: text) else {
                throw mode.error("unknown mode \"\(text)\" (\(ChargeMode.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            charger.mode = value
        }
        let zoneNode = fields.optional("zone")
        charger.placement = try LoadSettingsParser.placement(&fields, zones: zones, phases: limits.phases, maxCurrent: limits.maxCurrent)
        if let zone = charger.placement.zone, let zoneNode {
            try LoadSettingsParser.checkOfflineCurrents(zone: zones[zone], maxCurrent: limits.maxCurrent, node: zoneNode)
        }
        try fields.finish()
        return charger
    }

    static func parseMeter(_ node: YAMLNode, file: String) throws(DataFileError) -> Meter {
        var fields = try node.fields()
        let id = try fields.required("id").string()
        let mapNode = try fields.required("map")
        let reference = try mapNode.string()
        guard let path = MapCatalog.standard().resolve(reference) else {
            throw mapNode.error("no register map \"\(reference)\" (a file or a name listed by `chargebridge maps`)")
        }
        let map = try MapLoader.load(file: path)
        let endpoint = try parseEndpoint(&fields, owner: node, defaults: map.transport)
        let unit = try fields.optional("unit").map { node throws(DataFileError) in try node.integer(in: 0...255) } ?? map.transport.unit
        var meter = Meter(id: id, mapFile: path, map: map, endpoint: endpoint, unit: unit,
                          timeoutMilliseconds: map.transport.timeoutMilliseconds)
        if let period = fields.optional("period_ms") { meter.period = Double(try period.integer(in: 50...60_000)) / 1000 }
        if let timeout = fields.optional("timeout_ms") { meter.timeoutMilliseconds = try timeout.integer(in: 10...60_000) }
        try fields.finish()
        return meter
    }

    /// `tcp: HOST:PORT` or `rtu: { device, baud, parity, data_bits, stop_bits }`.
    static func parseEndpoint(_ fields: inout YAMLFields, owner: YAMLNode, defaults: TransportDefaults) throws(DataFileError) -> Endpoint {
        let tcp = fields.optional("tcp"), rtu = fields.optional("rtu")
        switch (tcp, rtu) {
        case (let tcp?, nil):
            let text = try tcp.string()
            guard let endpoint = Endpoint.parseTCP(text, defaultPort: defaults.tcpPort) else { throw tcp.error("expected HOST:PORT, got \"\(text)\"") }
            return endpoint
        case (nil, let rtu?):
            var rtuFields = try rtu.fields()
            let device = try rtuFields.required("device").string()
            return .rtu(device: device, serial: try MapLoader.parseSerial(rtu, base: defaults.serial, ignoring: ["device"]))
        default:
            throw owner.error("give exactly one of tcp: HOST:PORT or rtu: { device: … }")
        }
    }

    static func parseInput(_ node: YAMLNode) throws(DataFileError) -> Input {
        var fields = try node.fields()
        let id = try fields.required("id").string()
        let roleNode = try fields.required("role")
        guard let role = InputRole(rawValue: try roleNode.string()) else {
            throw roleNode.error("unknown role (\(InputRole.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let source: InputSource
        if let file = fields.optional("file") {
            source = .file(try file.string())
        } else if let modbus = fields.optional("modbus") {
            var m = try modbus.fields()
            let endpoint = try parseEndpoint(&m, owner: modbus, defaults: TransportDefaults())
            let unit = try m.optional("unit").map { node throws(DataFileError) in try node.integer(in: 0...255) } ?? 1
            let function = try m.optional("function").map { node throws(DataFileError) -> RegisterFunction in
                guard let value = RegisterFunction(rawValue: try node.string()) else { throw node.error("holding, input, coil or discrete") }
                return value
            } ?? .coil
            let address = try m.required("address").integer(in: 0...65535)
            try m.finish()
            source = .modbus(endpoint: endpoint, unit: unit, function: function, address: address)
        } else if let mqtt = fields.optional("mqtt") {
            guard try mqtt.bool() else { throw mqtt.error("mqtt: true (the value arrives on <prefix>/input/\(id)/active/set)") }
            source = .mqtt
        } else {
            throw node.error("an input needs a source: file: PATH, modbus: { tcp|rtu, unit, function, address } or mqtt: true")
        }
        var input = Input(id: id, role: role, source: source)
        if let invert = fields.optional("invert") { input.invert = try invert.bool() }
        if let debounce = fields.optional("debounce_ms") { input.debounce = Double(try debounce.integer(in: 0...60_000)) / 1000 }
        if let period = fields.optional("period_ms") { input.period = Double(try period.integer(in: 20...60_000)) / 1000 }
        try fields.finish()
        return input
    }

    static func parseIdentity(_ node: YAMLNode, default identity: Identity) throws(DataFileError) -> Identity {
        var fields = try node.fields()
        var identity = identity
        func text(_ key: String, max: Int) throws(DataFileError) -> String? {
            guard let node = fields.optional(key) else { return nil }
            let value = try node.string()
            guard value.utf8.count <= max, value.allSatisfy(\.isASCII) else { throw node.error("ASCII, at most \(max) characters") }
            return value
        }
        identity.serial = try text("serial", max: 50) ?? identity.serial
        identity.brand = try text("brand", max: 20) ?? identity.brand
        identity.model = try text("model", max: 10) ?? identity.model
        identity.firmware = try text("firmware", max: 100) ?? identity.firmware
        try fields.finish()
        return identity
    }

    static func parseSimulation(_ node: YAMLNode, limits: ChargerLimits) throws(DataFileError) -> [SimulatedEV] {
        var fields = try node.fields()
        var evs: [SimulatedEV] = []
        for item in try fields.optional("evs")?.list() ?? [] {
            var ev = try item.fields()
            var vehicle = SimulatedEV(arrival: try ev.required("arrive_s").number(in: 0...1e7))
            vehicle.departure = try ev.optional("leave_s").map { node throws(DataFileError) in try node.number(in: vehicle.arrival...1e7) }
            if let phases = ev.optional("phases") {
                vehicle.phases = try phases.integer()
                guard vehicle.phases == 1 || vehicle.phases == 3 else { throw phases.error("must be 1 or 3") }
            }
            vehicle.maxCurrent = try ev.optional("max_current").map { node throws(DataFileError) in try node.number(in: 6...80) } ?? 16
            vehicle.capacityWh = try ev.optional("capacity_kwh").map { node throws(DataFileError) in try node.number(in: 1...500) * 1000 } ?? 50_000
            vehicle.soc = try ev.optional("soc").map { node throws(DataFileError) in try node.number(in: 0...1) } ?? 0.3
            vehicle.targetSoC = try ev.optional("target_soc").map { node throws(DataFileError) in try node.number(in: 0...1) } ?? 0.9
            vehicle.idTag = try ev.optional("id_tag")?.string() ?? ""
            try ev.finish()
            evs.append(vehicle)
        }
        try fields.finish()
        return evs
    }

    /// Meter and input ids name their devices (and routes readings): each is used once. A serial
    /// device is one bus with one set of line settings.
    static func checkBuses(_ config: Configuration, file: String) throws(DataFileError) {
        var ids = Set<String>()
        var serial: [String: Endpoint] = [:]
        let devices = config.meters.map { ($0.id, $0.endpoint) } + config.inputs.map { input -> (String, Endpoint?) in
            if case .modbus(let endpoint, _, _, _) = input.source { return (input.id, endpoint) }
            return (input.id, nil)
        }
        for (id, endpoint) in devices {
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
        var ids: Set<String> = [], listeners: Set<String> = [], units: Set<Int> = [], plugs: Set<Int> = []
        for (index, (charger, node)) in zip(config.chargers, nodes).enumerated() {
            guard ids.insert(charger.id).inserted else { throw node.error("charger id \"\(charger.id)\" is used twice") }
            guard plugs.insert(charger.placement.plug ?? index + 1).inserted else { throw node.error("plug id \(charger.placement.plug ?? index + 1) is used twice") }
            switch config.northbound.mode {
            case .perCharger:
                let bind = charger.bind ?? config.northbound.bind
                guard listeners.insert("\(bind):\(charger.port)").inserted else {
                    throw node.error("modbus port \(charger.port) on \(bind) is used by another charger (each charger needs its own port or address)")
                }
            case .gateway:
                guard units.insert(charger.unit).inserted else { throw node.error("modbus unit \(charger.unit) is used by another charger") }
            }
        }
    }


}
