import ControlCore
import EnergyControl
import RegisterMaps
import SiteConfiguration

extension SiteScenario {
    /// Something the service can be told, played at a moment of the scenario: an energy manager's
    /// writes on a charger's EVC08 face, or an operator's MQTT command.
    public struct ControlEvent: Sendable {
        public enum Action: Sendable {
            /// Register writes of the charger's energy manager (failsafe current and timeout, charging current, alive).
            case ems(charger: Int, [MasterCommand])
            /// The energy manager stops writing alive (true) or comes back (false).
            case emsSilent(charger: Int, Bool)
            /// An MQTT command (`…/set`), checked by the core as the service checks it.
            case command(CommandKind, id: String, CommandValue)
        }
        public var at: Seconds
        public var action: Action
    }
}

/// `events:` of a scenario file (see etc/scenarios/README.md).
enum ScenarioEventParser {
    static func parse(_ node: YAMLNode?, scenario: SiteScenario) throws(DataFileError) -> [SiteScenario.ControlEvent] {
        var events: [SiteScenario.ControlEvent] = []
        for item in try node?.list() ?? [] {
            var fields = try item.fields()
            let at = try ScenarioLoader.time(try fields.required("at")) - scenario.startOfDay
            if let chargerNode = fields.optional("charger") {
                let id = try chargerNode.string()
                guard let index = scenario.chargers.firstIndex(where: { $0.id == id }) else { throw chargerNode.error("no charger \"\(id)\"") }
                if let ems = fields.optional("ems") {
                    events.append(SiteScenario.ControlEvent(at: at, action: try emsAction(ems, charger: index)))
                } else if let set = fields.optional("set") {
                    for (kind, value) in try commands(set, zone: false) {
                        events.append(SiteScenario.ControlEvent(at: at, action: .command(kind, id: id, value)))
                    }
                } else {
                    throw item.error("a charger event needs ems: { … } | silent | alive, or set: { … }")
                }
            } else if let zoneNode = fields.optional("zone") {
                let id = try zoneNode.string()
                guard scenario.load?.zones.contains(where: { $0.id == id }) == true else { throw zoneNode.error("no zone \"\(id)\"") }
                for (kind, value) in try commands(try fields.required("set"), zone: true) {
                    events.append(SiteScenario.ControlEvent(at: at, action: .command(kind, id: id, value)))
                }
            } else {
                throw item.error("an event names a charger: ID or a zone: ID")
            }
            try fields.finish()
        }
        return events.sorted { $0.at < $1.at }
    }

    /// `silent`, `alive`, or `{ failsafe_current, failsafe_timeout_s, charging_current, phases, alive }`.
    static func emsAction(_ node: YAMLNode, charger: Int) throws(DataFileError) -> SiteScenario.ControlEvent.Action {
        if let word = try? node.string() {
            switch word {
            case "silent": return .emsSilent(charger: charger, true)
            case "alive": return .emsSilent(charger: charger, false)
            default: throw node.error("ems is silent, alive or { failsafe_current, failsafe_timeout_s, charging_current, phases }")
            }
        }
        var fields = try node.fields()
        var writes: [MasterCommand] = []
        // in the order a master writes them: failsafe first, alive last
        let kinds: [(String, (Double) -> MasterCommand)] = [("failsafe_timeout_s", MasterCommand.failsafeTimeout),
                                                            ("failsafe_current", MasterCommand.failsafeCurrent), ("charging_current", MasterCommand.current)]
        for (key, command) in kinds {
            if let value = fields.optional(key) { writes.append(command(try value.number(in: 0...65_535))) }
        }
        if let phases = fields.optional("phases") {
            let count = try phases.integer()
            guard count == 1 || count == 3 else { throw phases.error("1 or 3") }
            writes.append(.phases(count))
        }
        try fields.finish()
        guard !writes.isEmpty else { throw node.error("write at least one register") }
        return .ems(charger: charger, writes)
    }

    /// `{ mode, current_limit, enable, force, phases }` for a charger, `{ operator_limit }` for a zone.
    static func commands(_ node: YAMLNode, zone: Bool) throws(DataFileError) -> [(CommandKind, CommandValue)] {
        var fields = try node.fields()
        var result: [(CommandKind, CommandValue)] = []
        if zone {
            let limit = try fields.required("operator_limit")
            result.append((.operatorLimit, .zoneLimit((try? limit.string()) == "none" ? nil : try SiteSettingsParser.perPhase(limit, in: 0...10_000))))
        } else {
            if let mode = fields.optional("mode") {
                let text = try mode.string()
                guard let value = ChargeMode(rawValue: text) else { throw mode.error("unknown mode \"\(text)\"") }
                result.append((.mode, .mode(value)))
            }
            if let limit = fields.optional("current_limit") { result.append((.currentLimit, .amperes(try limit.integer(in: 0...80)))) }
            if let enable = fields.optional("enable") { result.append((.enable, .flag(try enable.bool()))) }
            if let force = fields.optional("force") { result.append((.force, .flag(try force.bool()))) }
            if let phases = fields.optional("phases") { result.append((.phases, .phases(try phases.integer()))) }
        }
        try fields.finish()
        guard !result.isEmpty else { throw node.error("set at least one value") }
        return result
    }
}
