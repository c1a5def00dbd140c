import ServiceConfiguration
import DataFiles
import ControlCore
import Foundation
import RegisterMaps

/// The MQTT topic tree as data (Mappings/mqtt.yaml): the prefix, the availability and error
/// topics, and per entity kind its topic and the values published under it. A value with a
/// `command` also takes that command on `<its topic>/set`, so state and command are symmetrical.
public struct TopicContract: Sendable {
    public struct Value: Sendable, Equatable {
        /// The last topic level, e.g. `current_l1`.
        public var topic: String
        public var source: String
        public var type: ValueType
        public var decimals: Int
        /// A value that changes all the time (currents, power) is republished at most this often.
        public var minInterval: Double
        public var command: CommandKind?
    }

    public struct Entity: Sendable {
        /// Topic below the prefix with `{id}` for the entity's id, e.g. `charger/{id}`.
        public var topic: String
        public var values: [Value]
    }

    public var file: String
    public var prefix = "chargebridge"
    public var availability = "status"
    public var errors = "error"
    /// The health summary (JSON, retained) and how often it is published.
    public var health = "health"
    public var healthInterval = 30.0
    /// Retained state is republished this often even when nothing changed (0: only on change).
    public var republishInterval = 300.0
    public var maxPayload = 256
    public var payloadOn = "ON"
    public var payloadOff = "OFF"
    /// "No value now": an explicit payload, never an empty retained message (that would delete the
    /// topic, and Home Assistant would show the entity unavailable rather than unknown).
    public var payloadNone = "None"
    public var entities: [EntityKind: Entity] = [:]

    public static func load(file: String) throws(DataFileError) -> TopicContract {
        try parse(try YAMLNode.readText(file), file: file)
    }

    public static func parse(_ text: String, file: String) throws(DataFileError) -> TopicContract {
        var contract = TopicContract(file: file)
        var top = try YAMLNode.parse(text, file: file).fields()
        if let node = top.optional("prefix") { contract.prefix = try TopicText.levels(node) }
        if let node = top.optional("availability") { contract.availability = try TopicText.levels(node) }
        if let node = top.optional("errors") { contract.errors = try TopicText.levels(node) }
        if let node = top.optional("health") { contract.health = try TopicText.levels(node) }
        if let node = top.optional("health_s") { contract.healthInterval = Double(try node.integer(in: 1...3600)) }
        if let node = top.optional("republish_s") { contract.republishInterval = Double(try node.integer(in: 0...86_400)) }
        if let node = top.optional("max_payload") { contract.maxPayload = try node.integer(in: 16...65_536) }
        if let node = top.optional("payload_on") { contract.payloadOn = try node.string() }
        if let node = top.optional("payload_off") { contract.payloadOff = try node.string() }
        if let node = top.optional("payload_none") {
            contract.payloadNone = try node.string()
            // it goes into Home Assistant's value templates: a plain word only
            guard !contract.payloadNone.isEmpty, contract.payloadNone.count <= 16,
                  contract.payloadNone.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw node.error("payload_none must be a plain word (letters, digits, - or _; at most 16), e.g. None")
            }
        }
        var kinds = try top.required("entities").fields()
        for kind in EntityKind.allCases {
            guard let node = kinds.optional(kind.rawValue) else { continue }
            contract.entities[kind] = try parseEntity(node, kind: kind)
        }
        try kinds.finish()
        try top.finish()
        guard contract.payloadOn != contract.payloadOff, !contract.payloadOn.isEmpty, !contract.payloadOff.isEmpty else {
            throw DataFileError(file: file, line: nil, field: "payload_on", message: "payload_on and payload_off must be different and not empty")
        }
        guard contract.payloadNone != contract.payloadOn, contract.payloadNone != contract.payloadOff else {
            throw DataFileError(file: file, line: nil, field: "payload_none", message: "payload_none must differ from payload_on and payload_off")
        }
        return contract
    }

    static func parseEntity(_ node: YAMLNode, kind: EntityKind) throws(DataFileError) -> Entity {
        var fields = try node.fields()
        let topicNode = try fields.required("topic")
        let topic = try TopicText.levels(topicNode, allowID: true)
        guard kind == .site || topic.contains("{id}") else { throw topicNode.error("must contain {id}: one topic per \(kind.rawValue)") }
        var values: [Value] = []
        var names = Set<String>()
        for item in try fields.required("values").list() {
            var f = try item.fields()
            let nameNode = try f.required("topic")
            let name = try TopicText.levels(nameNode)
            guard !name.contains("/"), name != "set" else { throw nameNode.error("one topic level, not \"set\"") }
            guard names.insert(name).inserted else { throw nameNode.error("topic \"\(name)\" is used twice") }
            let sourceNode = try f.required("source")
            let source = try sourceNode.string()
            guard let type = EntityVocabulary.type(of: source, in: kind) else {
                let known = (EntityVocabulary.sources[kind] ?? [:]).keys.sorted().joined(separator: ", ")
                throw sourceNode.error("a \(kind.rawValue) provides no \"\(source)\" (\(known)\(kind == .meter ? ", or a quantity of its map" : ""))")
            }
            var value = Value(topic: name, source: source, type: type, decimals: 0, minInterval: 0)
            if let node = f.optional("decimals") { value.decimals = try node.integer(in: 0...6) }
            if let node = f.optional("min_interval_ms") { value.minInterval = Double(try node.integer(in: 0...3_600_000)) / 1000 }
            if let node = f.optional("command") {
                let text = try node.string()
                guard let command = CommandKind(rawValue: text), EntityVocabulary.commands[kind]?.contains(command) == true else {
                    let known = (EntityVocabulary.commands[kind] ?? []).map(\.rawValue).sorted().joined(separator: ", ")
                    throw node.error("a \(kind.rawValue) takes no command \"\(text)\" (\(known.isEmpty ? "none" : known))")
                }
                value.command = command
            }
            try f.finish()
            values.append(value)
        }
        try fields.finish()
        return Entity(topic: topic, values: values)
    }

    /// The full topic of an entity (`chargebridge/charger/cp1`).
    public func base(_ kind: EntityKind, id: String) -> String? {
        entities[kind].map { prefix + "/" + $0.topic.replacingOccurrences(of: "{id}", with: id) }
    }

    public var availabilityTopic: String { prefix + "/" + availability }
    public var errorTopic: String { prefix + "/" + errors }
    public var healthTopic: String { prefix + "/" + health }
}
