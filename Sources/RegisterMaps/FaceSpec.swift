/// What a face file's `face:` section declares (Mappings/modbus/, see Registers/README.md): how the
/// bridge shows a charger in a vendor's register table that energy managers already speak, and
/// what each writable register means to the master contract.
public struct FaceSpec: Sendable, Equatable {
    /// What a master's write means, whatever the table calls the register.
    public enum Meaning: String, Sendable, CaseIterable {
        case current, power, enable, phases
        case failsafeCurrent = "failsafe_current", failsafeTimeout = "failsafe_timeout", alive
    }

    /// A writable register and its meaning. `codes` are the raw values of `enable` (on, off) and
    /// `phases` (one, three); `capAtMaximum` makes a current above the charger's maximum mean the
    /// maximum (tables where a large value means "no limit"), instead of a refusal.
    public struct Command: Sendable, Equatable {
        public var meaning: Meaning
        public var codes: [String: Double] = [:]
        public var capAtMaximum = false
        public init(meaning: Meaning, codes: [String: Double] = [:], capAtMaximum: Bool = false) {
            self.meaning = meaning
            self.codes = codes
            self.capAtMaximum = capAtMaximum
        }
    }

    /// What a readable register shows.
    public enum Source: Sendable, Equatable {
        /// A value of the common vocabulary (`FaceSpec.values`), in the quantity's unit.
        case value(String)
        /// A coded value (`FaceSpec.codedValues`) translated to this table's codes.
        case coded(String, codes: [String: Double])
        case constant(Double)
        case text(String)
    }

    /// How the master proves it is alive.
    public enum Alive: Sendable, Equatable {
        /// Writing this register (any value).
        case register(String)
        /// Any accepted write.
        case anyWrite
        /// Any request of the master's connection, reads included (tables whose "communication
        /// timeout" energy managers feed by polling).
        case anyRequest
    }

    /// Readable registers by quantity name (those not listed show the value of their own name).
    public var shows: [String: Source]
    /// Writable registers by quantity name.
    public var commands: [String: Command]
    public var alive: Alive

    public init(shows: [String: Source], commands: [String: Command], alive: Alive) {
        self.shows = shows
        self.commands = commands
        self.alive = alive
    }

    /// Plain values the bridge knows of every charger (units: A, V, W, Wh, s; text where noted).
    public static let values: Set<String> = [
        "identity.serial", "identity.brand", "identity.model", "identity.firmware",            // text
        "charger.rated_power", "charger.phases", "charger.three_phase",
        "status.charging", "status.equipment", "status.fault_code",
        "current.l1", "current.l2", "current.l3", "voltage.l1", "voltage.l2", "voltage.l3",
        "power.total", "power.l1", "power.l2", "power.l3", "energy.import",
        "session.max_current", "session.energy", "session.duration", "session.id_tag",          // id_tag: text
        "limits.min_current", "limits.max_current", "limits.cable_max_current",
        "setpoint.current",                                                                     // what the bridge sends the charger
        "ems.current", "ems.power", "ems.failsafe_current", "ems.failsafe_timeout",            // as the master left them
    ]

    /// Coded values and their common codes; a face lists its own code for each.
    public static let codedValues: [String: [String]] = [
        "status": CommonChargerStatus.allCases.filter { $0 != .unknown }.map(\.rawValue),
        "cable": PlugState.allCases.map(\.rawValue),
        "iec": IECState.allCases.map(\.rawValue),
        "phases": ["one", "three"],
        "enable": ["on", "off"],
    ]

    /// The codes each meaning takes, where it takes codes.
    public static let commandCodes: [Meaning: [String]] = [.enable: ["on", "off"], .phases: ["one", "three"]]

    /// What a writable register reads back: the value of its meaning as the master left it.
    public static func readback(_ command: Command) -> Source {
        switch command.meaning {
        case .current: .value("ems.current")
        case .power: .value("ems.power")
        case .failsafeCurrent: .value("ems.failsafe_current")
        case .failsafeTimeout: .value("ems.failsafe_timeout")
        case .enable: .coded("enable", codes: command.codes)
        case .phases: .coded("phases", codes: command.codes)
        case .alive: .constant(0)
        }
    }
}
