/// The OCPP versions the central system speaks, chosen per connection by the WebSocket
/// subprotocol the charge point offers (OCPP-J 1.6 §3.1.2; OCPP 2.0.1 Part 4 §3.1.2).
public enum OCPPVersion: String, Sendable, Equatable, CaseIterable {
    case v16 = "1.6", v201 = "2.0.1"

    /// The subprotocol name in Sec-WebSocket-Protocol.
    public var subprotocol: String { self == .v16 ? "ocpp1.6" : "ocpp2.0.1" }

    public init?(subprotocol: String) {
        guard let version = Self.allCases.first(where: { $0.subprotocol == subprotocol }) else { return nil }
        self = version
    }

    /// The version for a connection: among those offered, the allowed ones, 2.0.1 first (nil: none fits).
    public static func choose(offered: [String], allowed: Set<OCPPVersion>) -> OCPPVersion? {
        let versions = Set(offered.compactMap(OCPPVersion.init(subprotocol:)))
        return [.v201, .v16].first { versions.contains($0) && allowed.contains($0) }
    }

    /// An error code as this version spells it: 2.0.1 renamed two (OCPP 2.0.1 Part 4 §4.3).
    public func spelling(_ code: OCPPErrorCode) -> String {
        switch (self, code) {
        case (.v201, .formationViolation): "FormatViolation"
        case (.v201, .occurenceConstraintViolation): "OccurrenceConstraintViolation"
        default: code.rawValue
        }
    }
}

extension OCPPErrorCode {
    /// A code as either version spells it (nil: not one of them).
    public init?(wire: String) {
        switch wire {
        case "FormatViolation": self = .formationViolation
        case "OccurrenceConstraintViolation": self = .occurenceConstraintViolation
        case "MessageTypeNotSupported", "RpcFrameworkError": self = .protocolError
        default: self.init(rawValue: wire)
        }
    }
}
