import Foundation

/// Validates register maps (the text of a map file; reading it is `DataFiles`' job).
public enum MapLoader {
    public static func parse(_ text: String, file: String) throws(DataFileError) -> RegisterMap {
        var top = try YAMLNode.parse(text, file: file).fields()
        var map = RegisterMap(name: try top.required("name").string(), quantities: [], file: file)
        map.vendor = try top.required("vendor").string()
        map.models = try top.required("models").list().map { node throws(DataFileError) in try node.string() }
        map.sources = try top.required("sources").list().map { node throws(DataFileError) in try node.string() }
        if map.sources.isEmpty { throw DataFileError(file: file, line: nil, field: "sources", message: "name at least one source") }
        map.notes = try top.optional("notes")?.string()
        if let kind = top.optional("kind") {
            map.kind = try kind.string()
            guard ["meter", "charger", "io", "face"].contains(map.kind) else {
                throw kind.error("unknown kind \"\(map.kind)\" (expected meter, charger, io or face)")
            }
        }
        if let transport = top.optional("transport") { map.transport = try parseTransport(transport) }
        if let base = top.optional("address_base") {
            map.addressBase = try base.integer()
            guard map.addressBase == 0 || map.addressBase == 1 else { throw base.error("must be 0 or 1") }
        }
        if let planner = top.optional("planner") { map.planner = try parsePlanner(planner) }
        let defaults = try top.optional("defaults").map { node throws(DataFileError) in try parseDefaults(node) } ?? QuantityDefaults()
        let quantitiesNode = try top.required("quantities")
        let entries = try quantitiesNode.fields().entries
        if entries.isEmpty { throw quantitiesNode.error("a map needs at least one quantity") }
        for (name, node) in entries {
            map.quantities.append(try parseQuantity(name: name, node: node, defaults: defaults, base: map.addressBase))
        }
        try MapValidator.checkOverlaps(map.quantities, nodes: entries.map(\.1))
        if let charger = top.optional("charger") {
            guard map.kind == "charger" else { throw charger.error("a charger section needs kind: charger") }
            map.charger = try parseCharger(charger, quantities: map.quantities)
        }
        if map.kind == "face" {
            let faceNode = try top.required("face")
            map.face = try parseFace(faceNode, quantities: map.quantities, nodes: Dictionary(entries, uniquingKeysWith: { first, _ in first }))
        } else if let faceNode = top.optional("face") {
            throw faceNode.error("a face section needs kind: face")
        }
        try top.finish()
        return map
    }

    // MARK: - Sections

    static func parseTransport(_ node: YAMLNode) throws(DataFileError) -> TransportDefaults {
        var fields = try node.fields()
        var transport = TransportDefaults()
        if let unit = fields.optional("unit") {
            transport.unit = try unit.integer()
            guard (0...255).contains(transport.unit) else { throw unit.error("unit id must be 0…255") }
        }
        if let tcp = fields.optional("tcp") {
            var tcpFields = try tcp.fields()
            if let port = tcpFields.optional("port") {
                transport.tcpPort = try port.integer()
                guard (1...65535).contains(transport.tcpPort) else { throw port.error("port must be 1…65535") }
            }
            try tcpFields.finish()
        }
        if let rtu = fields.optional("rtu") { transport.serial = try parseSerial(rtu) }
        if let timeout = fields.optional("timeout_ms") {
            transport.timeoutMilliseconds = try timeout.integer()
            guard (10...60_000).contains(transport.timeoutMilliseconds) else { throw timeout.error("must be 10…60000 ms") }
        }
        try fields.finish()
        return transport
    }

    /// Serial settings; unset fields keep `base`. Keys in `extra` are left to the caller.
    public static func parseSerial(_ node: YAMLNode, base: SerialSettings = SerialSettings(), ignoring extra: Set<String> = []) throws(DataFileError) -> SerialSettings {
        var fields = try node.fields()
        extra.forEach { _ = fields.optional($0) }
        var serial = base
        if let baud = fields.optional("baud") {
            serial.baud = try baud.integer()
            guard (300...921_600).contains(serial.baud) else { throw baud.error("baud rate must be 300…921600") }
        }
        if let parity = fields.optional("parity") {
            let text = try parity.string().uppercased()
            guard let value = Parity(rawValue: text) else { throw parity.error("parity must be N, E or O") }
            serial.parity = value
        }
        if let bits = fields.optional("data_bits") {
            serial.dataBits = try bits.integer()
            guard (5...8).contains(serial.dataBits) else { throw bits.error("data bits must be 5…8") }
        }
        if let bits = fields.optional("stop_bits") {
            serial.stopBits = try bits.integer()
            guard serial.stopBits == 1 || serial.stopBits == 2 else { throw bits.error("stop bits must be 1 or 2") }
        }
        try fields.finish()
        return serial
    }

    static func parsePlanner(_ node: YAMLNode) throws(DataFileError) -> PlannerSettings {
        var fields = try node.fields()
        var planner = PlannerSettings()
        if let gap = fields.optional("max_gap") {
            planner.maxGap = try gap.integer()
            guard (0...124).contains(planner.maxGap) else { throw gap.error("must be 0…124") }
        }
        if let size = fields.optional("max_registers") {
            planner.maxRegisters = try size.integer()
            guard (1...125).contains(planner.maxRegisters) else { throw size.error("must be 1…125") }
        }
        try fields.finish()
        return planner
    }

    /// Settings a quantity inherits unless it sets its own.
    struct QuantityDefaults {
        var function: RegisterFunction = .holding
        var wordOrder: Endianness = .big
        var byteOrder: Endianness = .big
        var sentinels: [Sentinel] = []
    }

    static func parseDefaults(_ node: YAMLNode) throws(DataFileError) -> QuantityDefaults {
        var fields = try node.fields()
        var defaults = QuantityDefaults()
        if let value = fields.optional("function") { defaults.function = try parseFunction(value) }
        if let value = fields.optional("word_order") { defaults.wordOrder = try parseOrder(value) }
        if let value = fields.optional("byte_order") { defaults.byteOrder = try parseOrder(value) }
        if let value = fields.optional("sentinels") { defaults.sentinels = try parseSentinels(value) }
        try fields.finish()
        return defaults
    }

    // MARK: - Quantities

    /// Lower-case words of letters, digits and underscores, separated by dots.
    public static func isValidName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        } && parts[0].first.map { ("a"..."z").contains($0) } == true
    }

    static func parseQuantity(name: String, node: YAMLNode, defaults: QuantityDefaults, base: Int) throws(DataFileError) -> Quantity {
        guard isValidName(name) else {
            throw node.error("quantity names are lower case words separated by dots (e.g. current.l1)")
        }
        var fields = try node.fields()
        let addressNode = try fields.required("address")
        let typeNode = try fields.required("type")
        let typeName = try typeNode.string()
        guard let type = ValueType(name: typeName) else {
            let known = ValueType.allCases.map(\.rawValue).joined(separator: ", ")
            throw typeNode.error("unknown type \"\(typeName)\" (expected one of \(known))")
        }
        let function = try fields.optional("function").map { node throws(DataFileError) in try parseFunction(node) } ?? defaults.function
        var quantity = Quantity(name: name, address: try addressNode.integer() - base, function: function, type: type,
                                wordOrder: defaults.wordOrder, byteOrder: defaults.byteOrder, sentinels: defaults.sentinels)
        if type == .bool, !function.isBit {
            throw typeNode.error("type bool needs function coil or discrete")
        }
        if type != .bool, function.isBit {
            throw typeNode.error("function \(function.rawValue) reads bits: use type bool")
        }
        if let value = fields.optional("word_order") { quantity.wordOrder = try parseOrder(value) }
        if let value = fields.optional("byte_order") { quantity.byteOrder = try parseOrder(value) }
        if let value = fields.optional("scale") {
            quantity.scale = try value.number()
            guard quantity.scale.isFinite, quantity.scale != 0 else { throw value.error("scale must be a finite, non-zero number") }
        }
        if let value = fields.optional("offset") {
            quantity.offset = try value.number()
            guard quantity.offset.isFinite else { throw value.error("offset must be finite") }
        }
        if let value = fields.optional("length") {
            quantity.stringLength = try value.integer()
            guard type == .string else { throw value.error("length applies to type string only") }
            guard (1...125).contains(quantity.stringLength) else { throw value.error("length must be 1…125 registers") }
        } else if type == .string {
            throw DataFileError(file: node.file, line: node.line, field: "\(node.path).length", message: "missing required field (registers of the string)")
        }
        if let value = fields.optional("sentinels") { quantity.sentinels = try parseSentinels(value) }
        if let value = fields.optional("range") {
            let bounds = try value.list().map { node throws(DataFileError) in try node.number() }
            guard bounds.count == 2, bounds[0].isFinite, bounds[1].isFinite, bounds[0] <= bounds[1] else {
                throw value.error("range must be [min, max] with min ≤ max")
            }
            quantity.range = bounds[0]...bounds[1]
        }
        if let value = fields.optional("access") {
            switch try value.string() {
            case "r": quantity.writable = false
            case "rw": quantity.writable = true
            case let other: throw value.error("access must be r or rw, got \"\(other)\"")
            }
        }
        quantity.description = try fields.optional("description")?.string()
        if let value = fields.optional("unit_id") { quantity.unitID = try value.integer(in: 0...255) }
        if let unitNode = fields.optional("unit") {
            let symbol = try unitNode.string()
            guard let unit = MeasurementUnit.named(symbol) else {
                throw unitNode.error("unknown unit \"\(symbol)\" (expected one of \(MeasurementUnit.knownSymbols.joined(separator: ", ")))")
            }
            if let required = StandardQuantity.dimensions[name], unit.dimension != required {
                throw unitNode.error("\(name) needs a unit of \(required.rawValue), not \"\(symbol)\"")
            }
            quantity.unit = unit
        } else if type.isNumeric, type != .bool {
            throw DataFileError(file: node.file, line: node.line, field: "\(node.path).unit", message: "missing required field")
        }
        try fields.finish()
        guard quantity.address >= 0, quantity.endAddress <= 65535 else {
            throw addressNode.error("address out of range: registers \(quantity.address)…\(quantity.endAddress) must lie within 0…65535 (address_base \(base))")
        }
        return quantity
    }

    static func parseFunction(_ node: YAMLNode) throws(DataFileError) -> RegisterFunction {
        let text = try node.string().lowercased()
        let aliases: [String: RegisterFunction] = ["03": .holding, "3": .holding, "04": .input, "4": .input,
                                                   "01": .coil, "1": .coil, "02": .discrete, "2": .discrete]
        guard let function = RegisterFunction(rawValue: text) ?? aliases[text] else {
            throw node.error("unknown function \"\(text)\" (expected holding, input, coil or discrete)")
        }
        return function
    }

    static func parseOrder(_ node: YAMLNode) throws(DataFileError) -> Endianness {
        let text = try node.string().lowercased()
        guard let order = Endianness(rawValue: text) else { throw node.error("expected big or little, got \"\(text)\"") }
        return order
    }

    static func parseSentinels(_ node: YAMLNode) throws(DataFileError) -> [Sentinel] {
        try node.list().map { item throws(DataFileError) -> Sentinel in
            let text = try item.string().lowercased()
            if text == "nan" || text == ".nan" { return .nan }
            guard let value = YAMLNode.parseInteger(text.replacingOccurrences(of: "_", with: "")) else {
                throw item.error("a sentinel is an integer (e.g. 0xFFFF) or nan")
            }
            return .raw(value)
        }
    }
}

enum MapValidator {
    /// Two quantities of the same function and unit id may not share a register.
    static func checkOverlaps(_ quantities: [Quantity], nodes: [YAMLNode]) throws(DataFileError) {
        let indexed = quantities.indices.sorted {
            (quantities[$0].unitID ?? -1, quantities[$0].function, quantities[$0].address)
                < (quantities[$1].unitID ?? -1, quantities[$1].function, quantities[$1].address)
        }
        for (previous, next) in zip(indexed, indexed.dropFirst()) {
            let a = quantities[previous], b = quantities[next]
            if a.function == b.function, a.unitID == b.unitID, b.address <= a.endAddress {
                throw nodes[next].error("registers \(b.address)…\(b.endAddress) overlap \(a.name) (\(a.address)…\(a.endAddress), \(a.function.rawValue))")
            }
        }
    }
}
