import Foundation

/// The answer to "may this tag charge here?" (OCPP 1.6 AuthorizationStatus without ConcurrentTx).
public enum AuthorizationStatus: String, Sendable, CaseIterable, Codable {
    case accepted = "Accepted", blocked = "Blocked", expired = "Expired", invalid = "Invalid"
}

/// A decision with the reason (for the log) and what OCPP's idTagInfo carries back.
public struct AuthorizationDecision: Sendable, Equatable {
    public var status: AuthorizationStatus
    public var reason: String
    public var parentIdTag: String?
    public var expiry: Date?
    /// The list entry (or backend answer) gives its sessions priority in load management.
    public var priority = false

    public init(_ status: AuthorizationStatus, _ reason: String, parentIdTag: String? = nil, expiry: Date? = nil, priority: Bool = false) {
        self.status = status
        self.reason = reason
        self.parentIdTag = parentIdTag
        self.expiry = expiry
        self.priority = priority
    }

    public var accepted: Bool { status == .accepted }
}

/// What the CPO backend said about a tag, or that it could not be asked. The uplink that asks it
/// is not part of this module: it hands its outcome in.
public enum BackendAnswer: Sendable, Equatable {
    case answered(AuthorizationStatus, parentIdTag: String? = nil, expiry: Date? = nil)
    case unreachable
}

/// The decision, pure: the rules of the charger the tag was presented at, the local list, the
/// backend's answer (only read in `backend` mode; nil there means unreachable) and the wall time
/// (for expiry).
public enum Authorizer {
    public static func decide(tag: String, rules: ChargerAuthorization, list: LocalList, backend: BackendAnswer? = nil, at now: Date) -> AuthorizationDecision {
        switch rules.mode {
        case .acceptAll, .autostart:
            return open(tag: tag, rules: rules, list: list, at: now, reason: rules.mode.rawValue)
        case .localList:
            return fromList(tag: tag, rules: rules, list: list, at: now)
        case .backend:
            switch backend ?? .unreachable {
            case .answered(let status, let parent, let expiry):
                // an expiry the backend set that has passed counts as expired
                if status == .accepted, let expiry, expiry <= now { return AuthorizationDecision(.expired, "backend: expired", parentIdTag: parent, expiry: expiry) }
                return AuthorizationDecision(status, "backend", parentIdTag: parent, expiry: expiry)
            case .unreachable:
                switch rules.offline {
                case .acceptAll: return open(tag: tag, rules: rules, list: list, at: now, reason: "backend unreachable, offline accept_all")
                case .localList:
                    var decision = fromList(tag: tag, rules: rules, list: list, at: now)
                    decision.reason = "backend unreachable, offline local_list: " + decision.reason
                    return decision
                case .reject: return AuthorizationDecision(.invalid, "backend unreachable, offline reject")
                }
            }
        }
    }

    /// Every tag is welcome but one the list blocks or whose entry expired.
    static func open(tag: String, rules: ChargerAuthorization, list: LocalList, at now: Date, reason: String) -> AuthorizationDecision {
        let listed = fromList(tag: tag, rules: rules, list: list, at: now)
        if listed.status == .blocked || listed.status == .expired { return listed }
        return AuthorizationDecision(.accepted, reason, parentIdTag: listed.parentIdTag, priority: listed.priority)
    }

    static func fromList(tag: String, rules: ChargerAuthorization, list: LocalList, at now: Date) -> AuthorizationDecision {
        guard let entry = list.entry(presented: tag, format: rules.format, postfix: rules.postfix) else {
            return AuthorizationDecision(.invalid, "not in the local list")
        }
        let status: AuthorizationStatus
        switch entry.status {
        case .accepted: status = entry.expiry.map { $0 <= now } == true ? .expired : .accepted
        case .blocked: status = .blocked
        case .expired: status = .expired
        }
        let reason = status == .accepted ? "local list entry \(entry.idTag)" : "local list entry \(entry.idTag): \(status.rawValue)"
        return AuthorizationDecision(status, reason, parentIdTag: entry.parentIdTag, expiry: entry.expiry, priority: status == .accepted && entry.priority)
    }
}
