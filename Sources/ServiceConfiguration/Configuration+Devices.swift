import DataFiles
import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
import SmartMeters
import SiteConfiguration
import SimulatedDevices
import LinkValues

/// The `meters:` and `inputs:` entries and the bus endpoints they are reached through.
extension Configuration {
    static func parseMeter(_ node: YAMLNode, file: String) throws(DataFileError) -> Meter {
        var fields = try node.fields()
        let id = try fields.required("id").string()
        let (role, inverted) = try parseRole(&fields)
        let average = try fields.optional("average_s").map { node throws(DataFileError) in try node.number(in: 0...300) } ?? 0
        var meter = try parseMeterKind(id: id, role: role, node, &fields)
        meter.role = role
        meter.powerInverted = inverted
        meter.averageSeconds = average
        return meter
    }

    /// The meter's kind decides how it is read: a smart meter's port, MQTT topics, SunSpec, or a register map.
    static func parseMeterKind(id: String, role: MeterRole?, _ node: YAMLNode, _ fields: inout YAMLFields) throws(DataFileError) -> Meter {
        if let p1 = fields.optional("p1") { return try parseSmartMeter(id: id, .p1(dsmr: nil), p1, &fields) }
        if let tic = fields.optional("tic") { return try parseSmartMeter(id: id, .tic(standard: false), tic, &fields) }
        if let mqtt = fields.optional("mqtt") { return try parseMQTTMeter(id: id, mqtt, &fields) }
        let mapNode = try fields.required("map")
        let reference = try mapNode.string()
        if reference == "sunspec" {
            var meter = try parseSunSpecMeter(id: id, role: role, &fields, owner: node)
            try parsePeriod(&meter, &fields)
            try fields.finish()
            return meter
        }
        guard let path = MapCatalog.standard().resolve(reference) else {
            throw mapNode.error(MapCatalog.standard().notFound(reference))
        }
        let map = try MapLoader.load(file: path)
        let endpoint = try parseEndpoint(&fields, owner: node, defaults: map.transport)
        let unit = try fields.optional("unit").map { node throws(DataFileError) in try node.integer(in: 0...255) } ?? map.transport.unit
        if let model = fields.optional("model") { throw model.error("model: picks a SunSpec model; this meter reads the map \(reference)") }
        var meter = Meter(id: id, mapFile: path, map: map, endpoint: endpoint, unit: unit,
                          timeoutMilliseconds: map.transport.timeoutMilliseconds)
        try parsePeriod(&meter, &fields)
        try fields.finish()
        return meter
    }

    /// `period_ms` and `timeout_ms` of a meter polled over Modbus.
    static func parsePeriod(_ meter: inout Meter, _ fields: inout YAMLFields) throws(DataFileError) {
        if let period = fields.optional("period_ms") { meter.period = Double(try period.integer(in: 50...60_000)) / 1000 }
        if let timeout = fields.optional("timeout_ms") { meter.timeoutMilliseconds = try timeout.integer(in: 10...60_000) }
    }

    /// `p1: DEVICE` or `p1: { device, dsmr: "5" | "4" | "3" | "2.2" | e-mucs, baud, parity, data_bits, stop_bits }`;
    /// `tic: DEVICE` or `tic: { device, mode: historique | standard, … }`. The line settings
    /// default to what the standard prescribes; `period_ms` is how often telegrams come (1 s).
    static func parseSmartMeter(id: String, _ kind: SmartMeterPort, _ node: YAMLNode, _ fields: inout YAMLFields) throws(DataFileError) -> Meter {
        var port = kind
        let device: String
        var serial: SerialSettings
        if let text = try? node.string() {
            device = text
            serial = SmartMeterPort.defaultSerial(port, dsmr: nil)
        } else {
            var settings = try node.fields()
            device = try settings.required("device").string()
            var dsmr: String?
            if case .p1 = kind, let version = settings.optional("dsmr") {
                dsmr = try version.string()
                guard ["2.2", "3", "4", "5", "e-mucs"].contains(dsmr!) else { throw version.error("dsmr: 2.2, 3, 4, 5 or e-mucs") }
                port = .p1(dsmr: dsmr)   // only 2.2 and 3 may send telegrams without a CRC
            }
            if case .tic = kind, let mode = settings.optional("mode") {
                switch try mode.string() {
                case "historique": port = .tic(standard: false)
                case "standard": port = .tic(standard: true)
                default: throw mode.error("mode: historique or standard")
                }
            }
            serial = try MapLoader.parseSerial(node, base: SmartMeterPort.defaultSerial(port, dsmr: dsmr), ignoring: ["device", "dsmr", "mode"])
        }
        guard device.hasPrefix("/") else { throw node.error("a serial device path such as /dev/ttyUSB0, got \"\(device)\"") }
        var meter = Meter(id: id, mapFile: "", map: port.map, endpoint: .rtu(device: device, serial: serial), unit: 0,
                          period: 1, timeoutMilliseconds: 0, port: port)
        if let period = fields.optional("period_ms") { meter.period = Double(try period.integer(in: 200...60_000)) / 1000 }
        try fields.finish()
        return meter
    }

    /// `mqtt: { topic, max_age_s, values: { QUANTITY: { topic, path, unit, scale } } }`: each
    /// quantity from its own topic (a plain number) or from a path in a JSON topic (`topic` above
    /// serves every value that names none).
    static func parseMQTTMeter(id: String, _ node: YAMLNode, _ fields: inout YAMLFields) throws(DataFileError) -> Meter {
        var settings = try node.fields()
        let shared = try settings.optional("topic").map { node throws(DataFileError) in try TopicText.levels(node) }
        let maxAge = try settings.optional("max_age_s").map { node throws(DataFileError) in Double(try node.integer(in: 1...3600)) } ?? 10
        let valuesNode = try settings.required("values")
        let known = Dictionary(SmartMeterPort.standard.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var sources: [MQTTMeterValues.Source] = []
        for (name, valueNode) in try valuesNode.fields().entries {
            guard let quantity = known[name] else {
                throw valueNode.error("unknown quantity \"\(name)\" (one of \(SmartMeterPort.standard.map(\.name).joined(separator: ", ")))")
            }
            var value = try valueNode.fields()
            let topic = try value.optional("topic").map { node throws(DataFileError) in try TopicText.levels(node) } ?? shared
            guard let topic else { throw valueNode.error("\(name): no topic (give topic: here or for the whole meter)") }
            var path: [MQTTMeterValues.PathStep]?
            if let pathNode = value.optional("path") {
                let text = try pathNode.string()
                guard let parsed = MQTTMeterValues.PathStep.parse(text) else { throw pathNode.error("a JSON path such as em:0.a_current or SML.Curr[0], got \"\(text)\"") }
                path = parsed
            }
            var factor = 1.0
            if let unitNode = value.optional("unit") {
                let symbol = try unitNode.string()
                guard let unit = MeasurementUnit.named(symbol), unit.dimension == quantity.unit.dimension else {
                    throw unitNode.error("\(name) is in \(quantity.unit.siSymbol); \"\(symbol)\" is not a unit of that")
                }
                factor = unit.factor
            }
            if let scale = value.optional("scale") {
                let number = try scale.number()
                guard number.isFinite, number != 0 else { throw scale.error("a finite, non-zero number") }
                factor *= number
            }
            try value.finish()
            sources.append(MQTTMeterValues.Source(quantity: name, topic: topic, path: path, factor: factor, range: quantity.range))
        }
        guard !sources.isEmpty else { throw valuesNode.error("at least one quantity") }
        try settings.finish()
        let names = Set(sources.map(\.quantity))
        let map = RegisterMap(name: "mqtt", vendor: "MQTT", kind: "meter", quantities: SmartMeterPort.standard.filter { names.contains($0.name) })
        // period: the MQTT values' own age limit stands for it (the meter is shown offline after it)
        let meter = Meter(id: id, mapFile: "", map: map, endpoint: .tcp(host: "mqtt", port: 0), unit: 0, period: maxAge / 3,
                          timeoutMilliseconds: 0, mqtt: MQTTMeterValues(sources: sources, maxAge: maxAge))
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
}
