/// What the operator can ask of a charger beside its settings (MQTT `reset/set`, `stop/set`;
/// Schneider EcoStruxure EV Charging Expert §3.3.1): carried out by its driver, or refused by a
/// driver that cannot.
public enum ChargerCommand: Sendable, Equatable {
    /// OCPP Reset: soft (the charger restarts its software, ending transactions cleanly) or hard.
    case reset(hard: Bool)
    /// Ends the running transaction (OCPP RemoteStopTransaction).
    case stopTransaction

    public var name: String {
        switch self {
        case .reset(let hard): hard ? "hard reset" : "soft reset"
        case .stopTransaction: "stop"
        }
    }
}

/// Why a charger's driver did not carry out a command: a sentence for the error topic.
public struct ChargerCommandRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
