/// How a charger decides whether an id tag may charge (Schneider EcoStruxure EV Charging Expert
/// §2.10: per zone and station; Vestel EVC08 installation guideline §16.5: local list, accept all,
/// autostart).
public enum AuthorizationMode: String, Sendable, CaseIterable, Codable {
    /// Only tags of the local list (Accepted, not expired).
    case localList = "local_list"
    /// Every tag but one the list blocks.
    case acceptAll = "accept_all"
    /// No tag needed: the bridge starts the charge when a car is plugged in.
    case autostart
    /// A CPO backend decides (through an uplink); while it is unreachable, the offline mode.
    case backend
}

/// What `backend` mode does while the backend cannot be asked (Schneider §2.10: authorize all,
/// reject all, use the cache; Bender §5.1 "If in doubt allow charging").
public enum OfflineAuthorization: String, Sendable, CaseIterable, Codable {
    case acceptAll = "accept_all"
    case localList = "local_list"
    case reject
}

/// One level's `authorization:` settings; nil fields are inherited from the level above
/// (charger → its zone → the zone's parents → site).
public struct AuthorizationOverride: Sendable, Equatable, Codable {
    public var mode: AuthorizationMode?
    public var offline: OfflineAuthorization?
    public var letterCase: UIDFormat.LetterCase?
    public var byteOrder: UIDFormat.ByteOrder?

    public init(mode: AuthorizationMode? = nil, offline: OfflineAuthorization? = nil,
                letterCase: UIDFormat.LetterCase? = nil, byteOrder: UIDFormat.ByteOrder? = nil) {
        self.mode = mode
        self.offline = offline
        self.letterCase = letterCase
        self.byteOrder = byteOrder
    }

    public var isEmpty: Bool { self == AuthorizationOverride() }
}

/// What one charger applies: every field resolved.
public struct ChargerAuthorization: Sendable, Equatable, Hashable, Codable {
    public var mode: AuthorizationMode
    public var offline: OfflineAuthorization
    public var format: UIDFormat
    /// Appended to presented tags to find entries meant for this charger only (Bender §5.5).
    public var postfix: String?
    /// The other chargers' postfixes: entries meant for them are not this charger's.
    public var otherPostfixes: Set<String> = []

    public init(mode: AuthorizationMode = .acceptAll, offline: OfflineAuthorization = .localList, format: UIDFormat = UIDFormat(),
                postfix: String? = nil) {
        self.mode = mode
        self.offline = offline
        self.format = format
        self.postfix = postfix
    }

    /// The charger's rules from its levels, most specific first (charger, zone, parent zones…,
    /// site); what none sets keeps `base`.
    public static func resolve(_ levels: [AuthorizationOverride], postfix: String?, base: ChargerAuthorization = ChargerAuthorization()) -> ChargerAuthorization {
        var rules = base
        for level in levels.reversed() {
            if let mode = level.mode { rules.mode = mode }
            if let offline = level.offline { rules.offline = offline }
            if let letterCase = level.letterCase { rules.format.letterCase = letterCase }
            if let byteOrder = level.byteOrder { rules.format.byteOrder = byteOrder }
        }
        rules.postfix = postfix.flatMap { $0.isEmpty ? nil : $0 }
        return rules
    }

    /// The charge point keeps a list of its own worth filling (SendLocalList): it looks tags up
    /// in it while it cannot reach the central system.
    public var usesList: Bool { mode == .localList || mode == .backend && offline == .localList }
}
