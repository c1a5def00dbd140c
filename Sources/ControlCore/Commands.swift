import EnergyControl

/// What an operator command (MQTT `…/set`) targets.
public enum CommandKind: String, Sendable, CaseIterable {
    case mode, currentLimit = "current_limit", phases, enable, force, operatorLimit = "operator_limit", input
    /// A zone's remote setpoint and its heartbeat: an energy manager's, not an operator's setting
    /// (never saved; it lapses to the zone's failsafe limit when the energy manager goes silent).
    case zoneSetpoint = "setpoint", zoneHeartbeat = "heartbeat"
    /// The utility's power limit on the chargers together (kW; §14a dimming): saved, so a grid
    /// operator's limit holds across a restart.
    case powerLimit = "power_limit"
    /// A charger's charging plan: saved; it lasts until its departure or its vehicle leaves.
    case plan
}

/// A command's value, parsed from its payload but not yet checked against the target (a
/// charger's limits, a zone's limit): that is `ControlCore.apply`'s job.
public enum CommandValue: Sendable, Equatable {
    case mode(ChargeMode)
    case amperes(Int)
    case phases(Int)
    case flag(Bool)
    /// Per phase; nil clears the operator limit.
    case zoneLimit([Double]?)
    /// Watts; nil lifts the limit.
    case watts(Double?)
    /// nil clears the plan.
    case plan(PlanCommand?)
}

/// Why a command was refused: a sentence for the error topic and the log.
public struct CommandRejection: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What an accepted command set (a sentence for the log) and whether anything changed by it.
public struct CommandOutcome: Equatable, Sendable {
    public var change: String
    public var changed: Bool
    public init(change: String, changed: Bool) {
        self.change = change
        self.changed = changed
    }
}

/// The state one command can touch.
enum CommandFootprint: Equatable {
    case zone([Double]?)
    case input(Bool?)
    case charger(ControlCore.Runtime, Int?)
    case utility(Double?)
    case plan(PlanCommand?)
}
