import Authorization
import Foundation

/// How the central system answers an id tag (1.6 Authorize and StartTransaction, 2.0.1 Authorize
/// and TransactionEvent's idToken): the bridge's authorization, handed in by the driver (the
/// session stays pure: the function is). Both versions ask it the same way, so a tag gets the
/// same decision whichever version its charger speaks.
public struct TagAuthorizer: Sendable {
    public let decide: @Sendable (_ tag: String, _ wall: Date) -> AuthorizationDecision

    public init(_ decide: @escaping @Sendable (_ tag: String, _ wall: Date) -> AuthorizationDecision) { self.decide = decide }

    public static let acceptAll = TagAuthorizer { _, _ in AuthorizationDecision(.accepted, "accept_all") }

    /// Only these tags, exactly as written.
    public static func only(_ tags: Set<String>) -> TagAuthorizer {
        TagAuthorizer { tag, _ in tags.contains(tag) ? AuthorizationDecision(.accepted, "listed") : AuthorizationDecision(.invalid, "not listed") }
    }

    /// OCPP 1.6 IdTagInfo of a decision.
    public static func idTagInfo(_ decision: AuthorizationDecision) -> JSONValue {
        var info: [String: JSONValue] = ["status": .string(decision.status.rawValue)]
        if let parent = decision.parentIdTag, parent.count <= 20 { info["parentIdTag"] = .string(parent) }
        if let expiry = decision.expiry { info["expiryDate"] = .string(OCPPTime.format(expiry)) }
        return .object(info)
    }
}

/// Policies compare by their other fields: an authorizer is a function.
extension TagAuthorizer: Equatable {
    public static func == (_: TagAuthorizer, _: TagAuthorizer) -> Bool { true }
}

extension TagAuthorizer {
    /// OCPP 2.0.1 IdTokenInfoType of a decision (status names shared with 1.6: Accepted, Blocked,
    /// Expired, Invalid); the parent tag is the group token, the expiry the cache's.
    public static func idTokenInfo201(_ decision: AuthorizationDecision) -> JSONValue {
        var info: [String: JSONValue] = ["status": .string(decision.status.rawValue)]
        if let parent = decision.parentIdTag, parent.count <= 36 { info["groupIdToken"] = ["idToken": .string(parent), "type": "Central"] }
        if let expiry = decision.expiry { info["cacheExpiryDateTime"] = .string(OCPPTime.format(expiry)) }
        return .object(info)
    }
}

extension TagAuthorizer {
    /// The tag a charge point's call presents for a decision (1.6 Authorize and StartTransaction
    /// `idTag`, 2.0.1 Authorize and TransactionEvent `idToken`); nil: none, or an empty one.
    public static func presented(action: String, payload: JSONValue) -> String? {
        let tag: String? = switch action {
        case "Authorize": payload["idTag"]?.string ?? payload["idToken"]?["idToken"]?.string
        case "StartTransaction": payload["idTag"]?.string
        case "TransactionEvent": payload["idToken"]?["idToken"]?.string
        default: nil
        }
        return tag.flatMap { $0.isEmpty ? nil : $0 }
    }
}
