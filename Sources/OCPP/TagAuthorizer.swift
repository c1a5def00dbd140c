import Authorization
import Foundation

/// How the central system answers an id tag (Authorize, StartTransaction): the bridge's
/// authorization, handed in by the driver (the session stays pure: the function is).
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
