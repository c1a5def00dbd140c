import DataFiles
import LinkValues
import RegisterMaps

/// The Modbus faces: which vendor tables (Mappings/modbus/) each charger is served through.
extension Configuration {
    /// One more listener serving a face: a charger's (per-charger mode) or a gateway of every
    /// charger by unit id (gateway mode).
    public struct FaceBinding: Sendable, Equatable {
        /// The face file's name (`evc08`, `bender-cc613`, `keba-p30`) or path.
        public var face: String
        public var port: Int
        /// nil: the charger's or the site's address.
        public var bind: String?
    }

    /// The face file a reference names: `Mappings/modbus/NAME.yaml`, or a path.
    public static func faceFile(_ reference: String) -> String? {
        if reference.contains("/") || reference.hasSuffix(".yaml") { return DataLocator.locate(reference) }
        return DataLocator.locate("Mappings/modbus/\(reference).yaml")
    }

    /// The face files shipped with the bridge (for messages).
    static var shippedFaces: [String] { ["evc08", "bender-cc613", "keba-p30"] }

    /// `faces: [{ face: NAME, port: N, bind: HOST }, …]`.
    static func parseFaceBindings(_ node: YAMLNode) throws(DataFileError) -> [FaceBinding] {
        try node.list().map { item throws(DataFileError) in
            var fields = try item.fields()
            let binding = FaceBinding(face: try fields.required("face").string(), port: try fields.required("port").integer(in: 1...65535),
                                      bind: try fields.optional("bind")?.string())
            try fields.finish()
            return binding
        }
    }

    /// Loads every face the configuration names; a missing or bad face file is an error at the
    /// line that names it.
    static func loadFaces(_ config: inout Configuration, modbusNode: YAMLNode?, chargerNodes: [YAMLNode]) throws(DataFileError) {
        func load(_ reference: String, node: YAMLNode?) throws(DataFileError) {
            guard config.faceMaps[reference] == nil else { return }
            guard let path = faceFile(reference) else {
                let message = "no face \"\(reference)\" (shipped: \(shippedFaces.joined(separator: ", ")); or the path of a face file)"
                throw node?.error(message) ?? DataFileError(file: config.file, line: nil, field: "modbus.face", message: message)
            }
            let map = try MapLoader.load(file: path)
            guard map.face != nil else {
                throw DataFileError(file: path, line: nil, field: "kind", message: "not a face file (kind: face with a face: section)")
            }
            config.faceMaps[reference] = map
        }
        try load(config.northbound.face, node: modbusNode)
        for binding in config.northbound.moreGateways { try load(binding.face, node: modbusNode) }
        for (charger, node) in zip(config.chargers, chargerNodes) {
            if let face = charger.face { try load(face, node: node) }
            for binding in charger.moreFaces { try load(binding.face, node: node) }
        }
    }

    /// Two listeners may not share a port on one address; a face reachable from the network needs
    /// `allow_write` or `read_only` like the charger's first face.
    static func checkFaceListeners(_ config: Configuration, modbusNode: YAMLNode?, chargerNodes: [YAMLNode]) throws(DataFileError) {
        func clashes(_ a: String, _ b: String) -> Bool { a == b || ["0.0.0.0", "::", ""].contains(a) || ["0.0.0.0", "::", ""].contains(b) }
        let all = config.listeners
        for (index, listener) in all.enumerated() {
            if let other = all[..<index].first(where: { $0.port == listener.port && clashes($0.host, listener.host) }) {
                let message = "port \(listener.port) on \(listener.host) is used by both \(other.what) and \(listener.what)"
                throw modbusNode?.error(message) ?? DataFileError(file: config.file, line: nil, field: "modbus", message: message)
            }
        }
        let advice = "set allow_write: [ADDRESS/BITS, …] (the energy managers that may steer), allow_write: any, or read_only: true"
        for (charger, node) in zip(config.chargers, chargerNodes) where config.northbound.mode == .perCharger {
            for face in config.faces(of: charger).dropFirst() where !AddressRange.isLoopback(face.host) && !charger.readOnly
                && (charger.allowWrite ?? config.northbound.allowWrite) == nil {
                throw node.error("charger \(charger.id)'s \(config.faceName(face.face)) listens on \(face.host):\(face.port), reachable from the network: \(advice)")
            }
        }
        for binding in config.northbound.moreGateways where config.northbound.mode == .gateway {
            let host = binding.bind ?? config.northbound.bind
            if !AddressRange.isLoopback(host), config.northbound.allowWrite == nil {
                throw modbusNode?.error("the \(config.faceName(binding.face)) gateway listens on \(host), reachable from the network: \(advice)")
                    ?? DataFileError(file: config.file, line: nil, field: "modbus.faces", message: advice)
            }
        }
    }

    /// The faces of a charger: (face reference, host, port, unit id or nil for any), first the main one.
    public func faces(of charger: Charger) -> [(face: String, host: String, port: Int, unit: Int?)] {
        switch northbound.mode {
        case .perCharger:
            let host = charger.bind ?? northbound.bind
            return [(charger.face ?? northbound.face, host, charger.port, nil)]
                + charger.moreFaces.map { ($0.face, $0.bind ?? host, $0.port, nil) }
        case .gateway:
            return [(northbound.face, northbound.bind, northbound.port, charger.unit)]
                + northbound.moreGateways.map { ($0.face, $0.bind ?? northbound.bind, $0.port, charger.unit) }
        }
    }

    /// The table's name of a face reference.
    public func faceName(_ reference: String) -> String { faceMaps[reference]?.name ?? reference }
}
