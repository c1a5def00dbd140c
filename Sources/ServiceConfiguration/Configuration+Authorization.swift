import Authorization
import EnergyControl
import Foundation
import RegisterMaps
import SiteConfiguration

/// Who may charge (`authorization:` at the site, under a zone and under a charger): the modes, the
/// UID format and the initial local list. The list itself changes at run time (its file, MQTT).
public struct AuthorizationSettings: Sendable, Equatable {
    /// The site's level (mode, offline, uid); zones and chargers override it.
    public var site = AuthorizationOverride()
    /// Zone id → that zone's overrides.
    public var zones: [String: AuthorizationOverride] = [:]
    /// The list from a file (YAML or JSON), read at start and whenever it changes.
    public var listFile: String?
    /// The initial list: `tags:`, with the old form `ocpp.authorize: [..]` added.
    public var tags: [ListEntry] = []

    public init() {}

    /// The mode where no level names one: a list was configured, so only its tags; else everyone
    /// (what chargebridge did before authorization had modes).
    public var defaultMode: AuthorizationMode { listFile != nil || !tags.isEmpty ? .localList : .acceptAll }

    static func parse(_ node: YAMLNode) throws(DataFileError) -> AuthorizationSettings {
        var fields = try node.fields()
        var settings = AuthorizationSettings()
        settings.site = try parseLevel(&fields)
        if let file = fields.optional("list_file") { settings.listFile = try file.string() }
        if let tags = fields.optional("tags") {
            settings.tags = try ListPayload.changes(tags, kind: .full).compactMap(\.entry)
        }
        try fields.finish()
        return settings
    }

    /// `authorization:` under a zone or a charger: mode, offline and uid only (the list is the site's).
    static func parseOverride(_ node: YAMLNode) throws(DataFileError) -> AuthorizationOverride {
        var fields = try node.fields()
        let level = try parseLevel(&fields)
        try fields.finish()
        return level
    }

    static func parseLevel(_ fields: inout YAMLFields) throws(DataFileError) -> AuthorizationOverride {
        var level = AuthorizationOverride()
        if let mode = fields.optional("mode") { level.mode = try word(mode, AuthorizationMode.self) }
        if let offline = fields.optional("offline") { level.offline = try word(offline, OfflineAuthorization.self) }
        if let uid = fields.optional("uid") {
            var format = try uid.fields()
            if let letterCase = format.optional("case") { level.letterCase = try word(letterCase, UIDFormat.LetterCase.self) }
            if let order = format.optional("byte_order") { level.byteOrder = try word(order, UIDFormat.ByteOrder.self) }
            try format.finish()
        }
        return level
    }

    static func word<Word: RawRepresentable & CaseIterable>(_ node: YAMLNode, _: Word.Type) throws(DataFileError) -> Word where Word.RawValue == String {
        let text = try node.string()
        guard let value = Word(rawValue: text) else {
            throw node.error("\"\(text)\" is not one of \(Word.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A charger's postfix (`uid_postfix`): a few printable characters, no spaces.
    static func parsePostfix(_ node: YAMLNode) throws(DataFileError) -> String {
        let text = try node.string()
        guard (1...8).contains(text.count), ListEntry.problem(idTag: text) == nil else {
            throw node.error("a postfix is 1–8 printable characters without spaces, e.g. \"_1\"")
        }
        return text
    }
}

extension Configuration {
    /// The rules charger `index` applies: its own overrides, its zone's and that zone's parents',
    /// the site's, then the default mode.
    public func authorizationRules(of index: Int) -> ChargerAuthorization {
        let charger = chargers[index]
        var levels = [charger.authorization]
        var zone = charger.placement.zone.flatMap { load?.zones[$0] }
        var seen = Set<String>()
        while let current = zone, seen.insert(current.id).inserted {
            levels.append(authorization.zones[current.id] ?? AuthorizationOverride())
            zone = current.parent.flatMap { parent in load?.zones.first { $0.id == parent } }
        }
        levels.append(authorization.site)
        var rules = ChargerAuthorization.resolve(levels, postfix: charger.uidPostfix, base: ChargerAuthorization(mode: authorization.defaultMode))
        rules.otherPostfixes = Set(chargers.compactMap(\.uidPostfix)).subtracting([charger.uidPostfix].compactMap { $0 })
        return rules
    }

    /// Every charger's rules, in the configuration's order.
    public var authorizationRules: [ChargerAuthorization] { chargers.indices.map(authorizationRules(of:)) }

    /// The list the service starts with (before its file or a saved one): version 1 when it has tags.
    public var initialList: LocalList {
        authorization.tags.isEmpty ? LocalList() : LocalList(version: 1, entries: authorization.tags)
    }

    /// `ocpp.authorize: [..]`, the old form, joins the site's list (and makes it a list site).
    static func mergeOldAuthorize(_ config: inout Configuration, node: YAMLNode?) throws(DataFileError) {
        guard let tags = config.ocpp?.allowedTags, let node else { return }
        for tag in tags {
            if let problem = ListEntry.problem(idTag: tag) { throw node.error("authorize: \(problem)") }
            if !config.authorization.tags.contains(where: { $0.idTag == tag }) { config.authorization.tags.append(ListEntry(idTag: tag)) }
        }
    }
}
