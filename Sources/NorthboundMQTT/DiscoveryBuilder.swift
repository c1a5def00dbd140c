import EnergyControl
import Foundation

/// Builds Home Assistant's device-based discovery messages: one retained config per entity
/// (charger, meter, zone, input, site) at `<discovery prefix>/device/<object id>/config`, with the
/// origin, the device, availability (the bridge's, and a meter's own), and one component per
/// published value the templates name.
package struct DiscoveryBuilder {
    let contract: TopicContract
    let templates: DiscoveryTemplates
    let discoveryPrefix: String
    let version: String
    let qos: Int32

    /// The entity as discovery sees it: which value topics it publishes and its placeholders.
    struct Subject {
        var kind: EntityKind
        var id: String
        var topics: Set<String>
        /// `{name}`, `{model}`, `{brand}`, `{serial}`, `{ceiling}`, `{limit}`, … for the templates.
        var placeholders: [String: String]
        /// Value topics whose command this entity really takes (phases only where the charger
        /// switches them, an input's `active` only when it comes over MQTT); a control for any
        /// other is published as a read-only sensor, never as a control that cannot work.
        var commands: Set<String> = []

        /// A meter's entities: `online` and the quantities it has actually delivered, not every
        /// quantity its map could hold (a Shelly with only a total power is one sensor, not 13 unknowns).
        mutating func keepOnly(sources: Set<String>, of values: [TopicContract.Value]) {
            let kept = values.filter { $0.source == "online" || sources.contains($0.source) }.map(\.topic)
            topics.formIntersection(kept)
        }
    }

    /// "No value now" (the contract's `payload_none`; an empty payload from an older bridge too)
    /// must read as unknown, not as the last number.
    var noValueIsUnknown: String { "{{ None if value in ('', '\(contract.payloadNone)') else value }}" }

    /// The options of Home Assistant `enum` sensors, from the bridge's own vocabularies.
    static let enumOptions: [String: [String]] = [
        "status": [ChargePointState.available, .preparing, .charging, .suspendedEVSE, .suspendedEV, .finishing, .reserved, .unavailable, .faulted]
            .map(EntityViews.name(of:)),
        "cable": [CableState.noCable, .cableNoVehicle, .vehicleConnected, .vehicleLocked].map(EntityViews.name(of:)),
        "reason": LimitReason.allCases.map(\.rawValue),
    ]

    var statusTopic: String { discoveryPrefix + "/" + templates.statusTopic }

    func message(for subject: Subject) -> (topic: String, payload: String)? {
        guard let device = templates.devices[subject.kind], let base = contract.base(subject.kind, id: subject.id) else { return nil }
        let object = slug("\(contract.prefix)_\(subject.kind.rawValue)_\(subject.id)")
        var components: [String: Any] = [:]
        let bridge: [String: Any] = ["topic": contract.availabilityTopic, "payload_available": "online", "payload_not_available": "offline"]
        let ownOnline: [String: Any] = ["topic": "\(base)/online", "payload_available": contract.payloadOn, "payload_not_available": contract.payloadOff]
        for template in device.components where subject.topics.contains(template.value) {
            var component = template
            if component.platform.commands, !subject.commands.contains(component.value) {
                component.platform = component.platform == .switch ? .binarySensor : .sensor
            }
            let unique = "\(object)_\(slug(component.value))"
            var config: [String: Any] = [
                "p": component.platform.rawValue, "name": fill(component.name, subject), "unique_id": unique,
                "default_entity_id": "\(component.platform.rawValue).\(unique)", "state_topic": "\(base)/\(component.value)",
            ]
            for (key, value) in component.attributes { config[key] = number(fill(value, subject)) ?? fill(value, subject) }
            if component.platform == .sensor || component.platform == .binarySensor { config["value_template"] = noValueIsUnknown }
            if config["device_class"] as? String == "enum" { config["options"] = Self.enumOptions[component.value] ?? [] }
            // a charger's and a meter's entities follow the device's own `online` — except `online` itself
            var availability = [bridge]
            if subject.kind == .charger || subject.kind == .meter, subject.topics.contains("online"), component.value != "online" {
                availability.append(ownOnline)
            }
            config["availability"] = availability
            config["availability_mode"] = "all"
            switch component.platform {
            case .select:
                config["command_topic"] = "\(base)/\(component.value)/set"
                config["options"] = component.options
            case .number:
                config["command_topic"] = "\(base)/\(component.value)/set"
                for (key, value) in [("min", component.min), ("max", component.max), ("step", component.step)] {
                    if let value, let parsed = number(fill(value, subject)) { config[key] = parsed }
                }
            case .switch:
                config["command_topic"] = "\(base)/\(component.value)/set"
                config["payload_on"] = contract.payloadOn
                config["payload_off"] = contract.payloadOff
                config["state_on"] = contract.payloadOn
                config["state_off"] = contract.payloadOff
            case .binarySensor:
                config["payload_on"] = contract.payloadOn
                config["payload_off"] = contract.payloadOff
            case .sensor:
                break
            }
            components[unique] = config
        }
        guard !components.isEmpty else { return nil }
        var deviceInfo: [String: Any] = ["ids": [object], "name": fill(device.name, subject)]
        // the bridge's version on its own devices; a charger or meter has its own firmware (or none known)
        if subject.kind != .charger, subject.kind != .meter { deviceInfo["sw"] = version }
        // a maker or model nobody stated is left out, never invented
        if let maker = known(device.manufacturer, subject) { deviceInfo["mf"] = maker }
        if let model = known(device.model, subject) { deviceInfo["mdl"] = model }
        if let serial = subject.placeholders["serial"] { deviceInfo["sn"] = serial }
        // a charger's own firmware when it reported one (the bridge's version is in the origin)
        if let firmware = subject.placeholders["firmware"] { deviceInfo["sw"] = firmware }
        if subject.kind != .site { deviceInfo["via_device"] = slug("\(contract.prefix)_site_site") }
        var origin: [String: Any] = templates.origin
        origin["sw"] = version
        let payload: [String: Any] = [
            "dev": deviceInfo, "o": origin, "cmps": components, "qos": Int(qos),
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]) else { return nil }
        return ("\(discoveryPrefix)/device/\(object)/config", String(decoding: data, as: UTF8.self))
    }

    private func fill(_ text: String, _ subject: Subject) -> String {
        guard text.contains("{") else { return text }
        var result = text.replacingOccurrences(of: "{id}", with: subject.id)
        for (key, value) in subject.placeholders { result = result.replacingOccurrences(of: "{\(key)}", with: value) }
        return result
    }

    /// The text with its placeholders filled; nil when it is empty or names one nobody knows.
    private func known(_ text: String, _ subject: Subject) -> String? {
        let filled = fill(text, subject)
        return filled.isEmpty || filled.contains("{") ? nil : filled
    }

    private func number(_ text: String) -> Double? { Double(text) }

    /// Lower-case letters, digits and `_`: what Home Assistant accepts in an entity id.
    func slug(_ text: String) -> String {
        String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }
}

/// What a charger reported of itself (model, serial, firmware): its Home Assistant device shows
/// these rather than the configured ones once known.
struct ChargerIdentity: Equatable {
    var vendor: String
    var model: String
    var serial: String
    var firmware: String

    init(_ status: ChargerStatus) {
        vendor = status.vendor
        model = status.model
        serial = status.serial
        firmware = status.firmware
    }

    var isEmpty: Bool { vendor.isEmpty && model.isEmpty && serial.isEmpty && firmware.isEmpty }

    func apply(to placeholders: inout [String: String]) {
        if !vendor.isEmpty { placeholders["brand"] = vendor }
        if !model.isEmpty { placeholders["model"] = model }
        if !serial.isEmpty { placeholders["serial"] = serial }
        if !firmware.isEmpty { placeholders["firmware"] = firmware }
    }
}
