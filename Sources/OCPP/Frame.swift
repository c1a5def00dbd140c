/// The error codes of OCPP-J 1.6 §4.2.3 (spelled as 1.6 spells them; `OCPPVersion.spelling` gives
/// 2.0.1's names).
public enum OCPPErrorCode: String, Sendable, Equatable {
    case notImplemented = "NotImplemented"
    case notSupported = "NotSupported"
    case internalError = "InternalError"
    case protocolError = "ProtocolError"
    case securityError = "SecurityError"
    case formationViolation = "FormationViolation"
    case propertyConstraintViolation = "PropertyConstraintViolation"
    case occurenceConstraintViolation = "OccurenceConstraintViolation"
    case typeConstraintViolation = "TypeConstraintViolation"
    case genericError = "GenericError"
}

/// Why a frame or a payload was refused: answered with a CALLERROR, nothing changes.
public struct OCPPFailure: Error, Sendable, Equatable {
    public var code: OCPPErrorCode
    public var description: String
    public init(_ code: OCPPErrorCode, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// One OCPP-J message (OCPP-J 1.6 §4): CALL [2, id, action, payload], CALLRESULT [3, id, payload],
/// CALLERROR [4, id, code, description, details].
public enum Frame: Sendable, Equatable {
    case call(id: String, action: String, payload: JSONValue)
    case result(id: String, payload: JSONValue)
    case error(id: String, code: String, description: String, details: JSONValue)

    /// The message id of a frame that could not be understood, when it can be read (nil: none).
    public struct Refusal: Error, Sendable, Equatable {
        public var id: String?
        public var failure: OCPPFailure
    }

    /// Parses one WebSocket text message. A refusal carries the message id when one could be read,
    /// so the answer can be a CALLERROR to it.
    public static func parse(_ text: String) -> Result<Frame, Refusal> {
        guard let json = JSONValue.parse(text) else {
            return .failure(Refusal(id: nil, failure: OCPPFailure(.formationViolation, "not JSON")))
        }
        guard case .array(let items) = json, let type = items.first?.number else {
            return .failure(Refusal(id: nil, failure: OCPPFailure(.formationViolation, "not an OCPP-J message array")))
        }
        guard items.count >= 2, let id = items[1].string, !id.isEmpty, id.count <= 36 else {
            return .failure(Refusal(id: nil, failure: OCPPFailure(.formationViolation, "message id missing or not a string of at most 36 characters")))
        }
        switch (Int(type), items.count) {
        case (2, 4):
            guard let action = items[2].string, !action.isEmpty else {
                return .failure(Refusal(id: id, failure: OCPPFailure(.formationViolation, "action is not a string")))
            }
            return .success(.call(id: id, action: action, payload: items[3]))
        case (3, 3):
            return .success(.result(id: id, payload: items[2]))
        case (4, 5):
            return .success(.error(id: id, code: items[2].string ?? "GenericError", description: items[3].string ?? "", details: items[4]))
        default:
            return .failure(Refusal(id: id, failure: OCPPFailure(.formationViolation, "message type \(type) with \(items.count) elements")))
        }
    }

    public var text: String {
        switch self {
        case .call(let id, let action, let payload): JSONValue.array([2, .string(id), .string(action), payload]).text
        case .result(let id, let payload): JSONValue.array([3, .string(id), payload]).text
        case .error(let id, let code, let description, let details): JSONValue.array([4, .string(id), .string(code), .string(description), details]).text
        }
    }

    /// A CALLERROR with the code spelled as `version` spells it.
    public static func error(id: String, _ failure: OCPPFailure, version: OCPPVersion = .v16) -> Frame {
        .error(id: id, code: version.spelling(failure.code), description: failure.description, details: .object([:]))
    }
}
