/// The `face:` section of a face file (Mappings/modbus/), checked against the file's quantities:
/// every readable register shows a value the bridge knows, every writable one has a meaning,
/// coded values list a code for every common code.
extension MapLoader {
    static func parseFace(_ node: YAMLNode, quantities: [Quantity], nodes: [String: YAMLNode]) throws(DataFileError) -> FaceSpec {
        var fields = try node.fields()
        var shows: [String: FaceSpec.Source] = [:]
        if let showNode = fields.optional("show") {
            for (name, entry) in try showNode.fields().entries {
                guard let quantity = quantities.first(where: { $0.name == name }) else { throw entry.error("no quantity \"\(name)\" in this file") }
                guard !quantity.writable else { throw entry.error("\(name) is writable: give it a meaning under face.commands") }
                shows[name] = try parseSource(entry, quantity: quantity)
            }
        }
        var commands: [String: FaceSpec.Command] = [:]
        if let commandsNode = fields.optional("commands") {
            for (name, entry) in try commandsNode.fields().entries {
                guard let quantity = quantities.first(where: { $0.name == name }) else { throw entry.error("no quantity \"\(name)\" in this file") }
                guard quantity.writable, quantity.function == .holding else { throw entry.error("\(name) is a command: make it a holding register with access: rw") }
                commands[name] = try parseCommand(entry)
            }
        }
        // every register is accounted for: shown, defaulted to its own name, or a command
        for quantity in quantities {
            if quantity.writable {
                guard commands[quantity.name] != nil else {
                    throw (nodes[quantity.name] ?? node).error("\(quantity.name) is writable but has no meaning under face.commands (one of \(FaceSpec.Meaning.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            } else if shows[quantity.name] == nil {
                guard FaceSpec.values.contains(quantity.name) else {
                    throw (nodes[quantity.name] ?? node).error("the bridge has no value \"\(quantity.name)\": list it under face.show with a value, codes or a constant")
                }
                shows[quantity.name] = .value(quantity.name)
            }
        }
        guard commands.values.contains(where: { $0.meaning == .current || $0.meaning == .power }) else {
            throw node.error("no command means current or power: an energy manager could not steer through this face")
        }
        let watchdog = try fields.required("watchdog")
        var watchdogFields = try watchdog.fields()
        let aliveNode = try watchdogFields.required("alive")
        let aliveText = try aliveNode.string()
        let alive: FaceSpec.Alive
        if aliveText == "any-write" {
            alive = .anyWrite
        } else if aliveText == "any-request" {
            alive = .anyRequest
        } else {
            guard commands[aliveText]?.meaning == .alive else {
                throw aliveNode.error("alive is any-write, any-request or a command register with meaning alive")
            }
            alive = .register(aliveText)
        }
        try watchdogFields.finish()
        try fields.finish()
        return FaceSpec(shows: shows, commands: commands, alive: alive)
    }

    private static func parseSource(_ node: YAMLNode, quantity: Quantity) throws(DataFileError) -> FaceSpec.Source {
        var fields = try node.fields()
        if let constant = fields.optional("constant") {
            let source: FaceSpec.Source = quantity.type == .string ? .text(try constant.string()) : .constant(try constant.number())
            try fields.finish()
            return source
        }
        let valueNode = try fields.required("value")
        let value = try valueNode.string()
        if let common = FaceSpec.codedValues[value] {
            let codes = try parseCodes(try fields.required("codes"), expected: common)
            try fields.finish()
            return .coded(value, codes: codes)
        }
        guard FaceSpec.values.contains(value) else {
            let known = (FaceSpec.values.sorted() + FaceSpec.codedValues.keys.sorted()).joined(separator: ", ")
            throw valueNode.error("the bridge has no value \"\(value)\" (known: \(known))")
        }
        try fields.finish()
        return .value(value)
    }

    private static func parseCommand(_ node: YAMLNode) throws(DataFileError) -> FaceSpec.Command {
        var fields = try node.fields()
        let meaningNode = try fields.required("meaning")
        let text = try meaningNode.string()
        guard let meaning = FaceSpec.Meaning(rawValue: text) else {
            throw meaningNode.error("unknown meaning \"\(text)\" (expected \(FaceSpec.Meaning.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var command = FaceSpec.Command(meaning: meaning)
        if let expected = FaceSpec.commandCodes[meaning] {
            for code in expected { command.codes[code] = try fields.required(code).number() }
            guard Set(command.codes.values).count == expected.count else { throw node.error("\(expected.joined(separator: " and ")) need different values") }
        }
        if let cap = fields.optional("above_maximum") {
            let word = try cap.string()
            guard meaning == .current || meaning == .failsafeCurrent, ["cap", "refuse"].contains(word) else {
                throw cap.error("above_maximum is cap or refuse, for a current")
            }
            command.capAtMaximum = word == "cap"
        }
        try fields.finish()
        return command
    }

    private static func parseCodes(_ node: YAMLNode, expected: [String]) throws(DataFileError) -> [String: Double] {
        var fields = try node.fields()
        var codes: [String: Double] = [:]
        for code in expected {
            guard let entry = fields.optional(code) else {
                throw node.error("no code for \"\(code)\" (list one for each of \(expected.joined(separator: ", ")))")
            }
            codes[code] = try entry.number()
        }
        try fields.finish()
        return codes
    }
}
