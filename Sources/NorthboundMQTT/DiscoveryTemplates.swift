import ServiceConfiguration
import DataFiles
import ControlCore
import EnergyControl
import RegisterMaps

/// Home Assistant discovery templates as data (Mappings/homeassistant.yaml): per entity kind a
/// device and its components, each naming a value topic of the MQTT contract.
public struct DiscoveryTemplates: Sendable {
    public enum Platform: String, Sendable, CaseIterable {
        case sensor, binarySensor = "binary_sensor", select, number, `switch`
        /// Platforms that send commands (and need a value with a command).
        var commands: Bool { self == .select || self == .number || self == .switch }
    }

    public struct Component: Sendable {
        /// The value topic in the contract (`current_l1`).
        public var value: String
        public var platform: Platform
        public var name: String
        /// Passed through as-is: device_class, unit_of_measurement, state_class, icon, entity_category, mode.
        public var attributes: [String: String]
        /// select: its options.
        public var options: [String]
        /// number: bounds and step, each a number or a placeholder such as "{ceiling}".
        public var min: String?
        public var max: String?
        public var step: String?
    }

    public struct Device: Sendable {
        public var name: String
        public var model: String
        public var manufacturer: String
        public var components: [Component]
    }

    public var file: String
    public var origin: [String: String] = ["name": "chargebridge"]
    /// Below the discovery prefix: Home Assistant says `online` here when it (re)starts.
    public var statusTopic = "status"
    public var devices: [EntityKind: Device] = [:]

    static let passThrough: [String: String] = [
        "device_class": "device_class", "unit": "unit_of_measurement", "state_class": "state_class",
        "icon": "icon", "entity_category": "entity_category", "mode": "mode", "suggested_display_precision": "suggested_display_precision",
    ]

    public static func load(file: String, contract: TopicContract) throws(DataFileError) -> DiscoveryTemplates {
        var templates = DiscoveryTemplates(file: file)
        var top = try YAMLNode.load(file: file).fields()
        if let origin = top.optional("origin") {
            var fields = try origin.fields()
            for key in ["name", "url"] { if let node = fields.optional(key) { templates.origin[key] = try node.string() } }
            try fields.finish()
        }
        if let status = top.optional("status_topic") { templates.statusTopic = try TopicText.levels(status) }
        var kinds = try top.required("devices").fields()
        for kind in EntityKind.allCases {
            guard let node = kinds.optional(kind.rawValue) else { continue }
            guard let entity = contract.entities[kind] else { throw node.error("the MQTT contract \(contract.file) has no \(kind.rawValue) topics") }
            templates.devices[kind] = try parseDevice(node, entity: entity)
        }
        try kinds.finish()
        try top.finish()
        return templates
    }

    static func parseDevice(_ node: YAMLNode, entity: TopicContract.Entity) throws(DataFileError) -> Device {
        var fields = try node.fields()
        var device = Device(name: try fields.required("name").string(), model: try fields.optional("model")?.string() ?? "",
                            manufacturer: try fields.optional("manufacturer")?.string() ?? "chargebridge", components: [])
        var seen = Set<String>()
        for item in try fields.required("components").list() {
            var f = try item.fields()
            let valueNode = try f.required("value")
            let value = try valueNode.string()
            guard let contractValue = entity.values.first(where: { $0.topic == value }) else {
                throw valueNode.error("no value topic \"\(value)\" in the MQTT contract (\(entity.values.map(\.topic).joined(separator: ", ")))")
            }
            guard seen.insert(value).inserted else { throw valueNode.error("\"\(value)\" has a component already") }
            let platformNode = try f.required("platform")
            guard let platform = Platform(rawValue: try platformNode.string()) else {
                throw platformNode.error("one of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if platform.commands, contractValue.command == nil { throw platformNode.error("a \(platform.rawValue) needs a value that takes a command") }
            var component = Component(value: value, platform: platform, name: try f.required("name").string(), attributes: [:], options: [])
            for (key, attribute) in passThrough {
                if let node = f.optional(key) { component.attributes[attribute] = try node.string() }
            }
            if let options = f.optional("options") {
                component.options = try options.list().map { node throws(DataFileError) in try node.string() }
                if contractValue.command == .mode, let wrong = component.options.first(where: { ChargeMode(rawValue: $0) == nil }) {
                    throw options.error("\"\(wrong)\" is not a mode (\(ChargeMode.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            if platform == .select, component.options.isEmpty { throw item.error("a select needs options") }
            // Home Assistant keeps statistics only for sensors with a state class
            if platform == .sensor, component.attributes["unit_of_measurement"] != nil, component.attributes["state_class"] == nil {
                throw item.error("a sensor with a unit needs a state_class (measurement, total or total_increasing)")
            }
            if component.attributes["device_class"] == "enum", DiscoveryBuilder.enumOptions[value] == nil {
                throw item.error("\"\(value)\" has no fixed set of values to be an enum sensor")
            }
            component.min = try f.optional("min")?.string()
            component.max = try f.optional("max")?.string()
            component.step = try f.optional("step")?.string()
            try f.finish()
            device.components.append(component)
        }
        try fields.finish()
        return device
    }
}
