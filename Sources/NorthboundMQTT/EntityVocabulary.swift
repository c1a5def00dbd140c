import ControlCore
/// What the bridge can show and take northbound: the entity kinds, the values each provides and
/// the commands each accepts. The topic contract (Mappings/mqtt.yaml) picks from these and names
/// the topics; the names here are the `source:` and `command:` words of that file.
public enum EntityKind: String, Sendable, CaseIterable, Hashable {
    case site, charger, meter, zone, input
}

/// How a value is written as a payload.
public enum ValueType: Sendable, Equatable {
    case number, text, bool
}

/// A value at one moment; nil in a view means "no value now" (e.g. a meter that does not answer).
public enum StateValue: Sendable, Equatable {
    case number(Double), text(String), bool(Bool)
}


public enum EntityVocabulary {
    /// Values each kind provides. Meters also provide every quantity of their register map
    /// (`current.l1`, `energy.import`, … as numbers).
    public static let sources: [EntityKind: [String: ValueType]] = [
        .site: [
            "current.l1": .number, "current.l2": .number, "current.l3": .number, "power": .number,
            "meter_online": .bool, "ev_power": .number, "load_shedding": .bool, "enabled": .bool, "downgrade": .bool,
            "off_peak": .bool, "tariff": .number, "power_limit": .number, "utility_limited": .bool, "utility_gateway": .text, "price": .number,
        ],
        .charger: [
            "status": .text, "cable": .text, "online": .bool,
            "current.l1": .number, "current.l2": .number, "current.l3": .number,
            "voltage.l1": .number, "voltage.l2": .number, "voltage.l3": .number,
            "power": .number, "energy": .number, "session.energy": .number, "session.duration": .number, "session.id_tag": .text,
            "setpoint_answer": .text, "uplink": .text, "profile_way": .text, "steerable": .bool, "setpoint": .number, "reason": .text, "request": .number, "failsafe": .bool, "master": .text,
            "mode": .text, "current_limit": .number, "phases": .number, "enabled": .bool, "forced": .bool, "start_at": .text,
            "error": .text, "vendor_error": .text,
            "plan": .text,
        ],
        .meter: ["online": .bool],
        .zone: [
            "state": .number, "mode": .text, "percent": .number, "operator_limit": .text,
            "setpoint": .text, "setpoint_state": .text, "setpoint_controller": .text,
            "phases": .text, "next_to_pause": .text, "next_to_resume": .text,
            "available.l1": .number, "available.l2": .number, "available.l3": .number,
            "allocated.l1": .number, "allocated.l2": .number, "allocated.l3": .number,
        ],
        .input: ["active": .bool, "role": .text, "source": .text],
    ]

    /// Commands each kind accepts.
    public static let commands: [EntityKind: Set<CommandKind>] = [
        .site: [.powerLimit],
        .charger: [.mode, .currentLimit, .phases, .enable, .force, .plan],
        .meter: [],
        .zone: [.operatorLimit, .zoneSetpoint, .zoneHeartbeat],
        .input: [.input],
    ]

    /// The type of `source` for `kind`, or nil when the bridge does not provide it.
    public static func type(of source: String, in kind: EntityKind) -> ValueType? {
        if let type = sources[kind]?[source] { return type }
        // a meter quantity, named as in the register maps (`current.l1`, `frequency`)
        if kind == .meter, !source.isEmpty, source.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }) {
            return .number
        }
        return nil
    }
}
