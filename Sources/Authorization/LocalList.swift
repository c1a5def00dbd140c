import Foundation

/// The status a list entry gives its tag (OCPP 1.6 AuthorizationStatus, as a local list holds it).
public enum TagStatus: String, Sendable, CaseIterable, Codable {
    case accepted = "Accepted", blocked = "Blocked", expired = "Expired"
}

/// One tag of the local list: its id as the operator wrote it (in the list's byte order, with a
/// charger's postfix when it is meant for that charger only), its status and what OCPP's idTagInfo
/// carries; `priority` makes its sessions priority sessions of load management.
public struct ListEntry: Sendable, Equatable, Hashable, Codable {
    public var idTag: String
    public var status: TagStatus
    public var expiry: Date?
    public var parentIdTag: String?
    public var priority: Bool

    public init(idTag: String, status: TagStatus = .accepted, expiry: Date? = nil, parentIdTag: String? = nil, priority: Bool = false) {
        self.idTag = idTag
        self.status = status
        self.expiry = expiry
        self.parentIdTag = parentIdTag
        self.priority = priority
    }

    /// The longest id tag the list takes (OCPP 2.0.1 IdToken; 1.6 id tags are 20, a postfix adds to it).
    public static let maxLength = 36

    /// nil when `text` may be an id tag, else why not.
    public static func problem(idTag text: String) -> String? {
        if text.isEmpty { return "an id tag is not empty" }
        if text.count > maxLength { return "id tag \"\(text.prefix(40))\" is longer than \(maxLength) characters" }
        if !text.allSatisfy({ $0.isASCII && !$0.isWhitespace && ($0.asciiValue ?? 0) >= 0x21 && ($0.asciiValue ?? 0) < 0x7F }) {
            return "id tag \"\(text.prefix(40))\" has characters other than printable ASCII without spaces"
        }
        return nil
    }
}

/// A change to the list (OCPP 1.6 SendLocalList semantics): `full` replaces every entry;
/// `differential` adds or updates entries given with their info, and removes those given without.
public struct ListUpdate: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable { case full, differential }

    public struct Change: Sendable, Equatable {
        public var idTag: String
        /// nil: remove the tag (differential only).
        public var entry: ListEntry?

        public init(idTag: String, entry: ListEntry?) {
            self.idTag = idTag
            self.entry = entry
        }

        public static func set(_ entry: ListEntry) -> Change { Change(idTag: entry.idTag, entry: entry) }
        public static func remove(_ idTag: String) -> Change { Change(idTag: idTag, entry: nil) }
    }

    public var kind: Kind
    /// The list's version after the update; nil: one more than now.
    public var version: Int?
    public var changes: [Change]

    public init(kind: Kind, version: Int? = nil, changes: [Change]) {
        self.kind = kind
        self.version = version
        self.changes = changes
    }
}

/// The local authorization list: tags by id, and a version that grows with every change. Pure;
/// a refused update changes nothing.
public struct LocalList: Sendable, Equatable, Codable {
    public private(set) var version: Int
    public private(set) var entries: [String: ListEntry]
    /// The ids by their upper case: a lookup that ignores the letter case is one step, not a scan
    /// of up to `maxEntries` tags at every Authorize. Derived from `entries`.
    private var folded: [String: Set<String>]

    /// Beyond this a list is refused (it also bounds what is sent to a charge point).
    public static let maxEntries = 10_000

    public init(version: Int = 0, entries: [ListEntry] = []) {
        self.version = version
        self.entries = Dictionary(entries.map { ($0.idTag, $0) }, uniquingKeysWith: { $1 })
        folded = Self.fold(self.entries)
    }

    private enum CodingKeys: String, CodingKey { case version, entries }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        entries = try container.decode([String: ListEntry].self, forKey: .entries)
        folded = Self.fold(entries)
    }

    private static func fold(_ entries: [String: ListEntry]) -> [String: Set<String>] {
        var folded: [String: Set<String>] = [:]
        for id in entries.keys { folded[id.uppercased(), default: []].insert(id) }
        return folded
    }

    public var count: Int { entries.count }

    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Applies `update` whole, or throws and changes nothing.
    public mutating func apply(_ update: ListUpdate) throws(Refusal) {
        let next = try applied(update)
        self = next
    }

    /// The list after `update` (self unchanged).
    public func applied(_ update: ListUpdate) throws(Refusal) -> LocalList {
        var seen = Set<String>()
        for change in update.changes {
            if let problem = ListEntry.problem(idTag: change.idTag) { throw Refusal(problem) }
            guard seen.insert(change.idTag).inserted else { throw Refusal("id tag \(change.idTag) appears twice in one update") }
            if update.kind == .full, change.entry == nil { throw Refusal("a full update gives every tag its status (\(change.idTag) has none)") }
            if let entry = change.entry, let parent = entry.parentIdTag, let problem = ListEntry.problem(idTag: parent) {
                throw Refusal("parent of \(change.idTag): \(problem)")
            }
        }
        let version = update.version ?? version + 1
        guard version > self.version else { throw Refusal("version \(version) is not newer than the list's \(self.version)") }
        var next = self
        next.version = version
        if update.kind == .full { next.entries = [:] }
        for change in update.changes {
            if var entry = change.entry {
                entry.idTag = change.idTag
                next.entries[change.idTag] = entry
            } else {
                next.entries[change.idTag] = nil
            }
        }
        guard next.entries.count <= Self.maxEntries else {
            throw Refusal("the list would hold \(next.entries.count) tags, more than \(Self.maxEntries)")
        }
        next.folded = Self.fold(next.entries)
        return next
    }

    /// The entry that decides `tag` presented at a charger with this `format` and `postfix`: one with the charger's
    /// postfix first (Bender §5.5: a tag meant for that charger only), then the plain tag. Letter
    /// case as the charger's format says, on both sides.
    public func entry(presented tag: String, format: UIDFormat, postfix: String?) -> ListEntry? {
        let canonical = format.presented(tag)
        var wanted = [canonical]
        if let postfix, !postfix.isEmpty { wanted.insert(canonical + format.entry(postfix), at: 0) }
        for key in wanted {
            if format.letterCase == .asIs, let entry = entries[key] { return entry }
            // two entries equal but for the case: the first by id decides, the same every time
            if format.letterCase != .asIs,
               let entry = (folded[key.uppercased()] ?? []).compactMap({ entries[$0] }).filter({ format.entry($0.idTag) == key })
                   .min(by: { $0.idTag < $1.idTag }) { return entry }
        }
        return nil
    }
}
