import Authorization
import Foundation
import RegisterMaps

/// The local list as text: the list file (YAML or JSON: a list of entries, or `{ version, entries }`)
/// and the MQTT payload `{"update": "full"|"differential", "version": N, "entries": [...]}`. An
/// entry is an id tag alone (Accepted) or `{ id_tag, status, expiry, parent_id_tag, priority }`;
/// in a differential update an entry without `status` removes its tag (OCPP 1.6 SendLocalList).
/// Every problem names where it is.
public enum ListPayload {
    /// Longer payloads and files are refused (about 10 000 entries).
    public static let maxBytes = 2_000_000

    /// An MQTT payload: the update it asks for.
    public static func update(_ bytes: [UInt8], source: String) -> Result<ListUpdate, DataFileError> {
        guard bytes.count <= maxBytes else {
            return .failure(DataFileError(file: source, line: nil, field: "", message: "\(bytes.count) bytes is more than the \(maxBytes) allowed"))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(DataFileError(file: source, line: nil, field: "", message: "not UTF-8 text"))
        }
        do throws(DataFileError) {
            var fields = try YAMLNode.parse(text, file: source).fields()
            let kindNode = try fields.required("update")
            let kind = try AuthorizationSettings.word(kindNode, ListUpdate.Kind.self)
            let version = try fields.optional("version").map { node throws(DataFileError) in try node.integer(in: 1...Int(Int32.max)) }
            let changes = try changes(try fields.required("entries"), kind: kind)
            try fields.finish()
            return .success(ListUpdate(kind: kind, version: version, changes: changes))
        } catch {
            return .failure(error)
        }
    }

    /// A list file: the whole list (a full update), its version if it gives one.
    public static func file(_ text: String, path: String) -> Result<ListUpdate, DataFileError> {
        do throws(DataFileError) {
            let root = try YAMLNode.parse(text, file: path)
            guard root.isMapping else { return .success(ListUpdate(kind: .full, changes: try changes(root, kind: .full))) }
            var fields = try root.fields()
            let version = try fields.optional("version").map { node throws(DataFileError) in try node.integer(in: 1...Int(Int32.max)) }
            let changes = try changes(try fields.required("entries"), kind: .full)
            try fields.finish()
            return .success(ListUpdate(kind: .full, version: version, changes: changes))
        } catch {
            return .failure(error)
        }
    }

    /// The entries of a list node.
    static func changes(_ node: YAMLNode, kind: ListUpdate.Kind) throws(DataFileError) -> [ListUpdate.Change] {
        // an empty list in flow style (`[]`) is a sequence; `entries:` with nothing is a null scalar
        if !node.isMapping, let text = try? node.string(), ["", "null", "~"].contains(text) { return [] }
        var seen = Set<String>()
        return try node.list().map { item throws(DataFileError) in
            let change = try self.change(item, kind: kind)
            guard seen.insert(change.idTag).inserted else { throw item.error("id tag \(change.idTag) appears twice") }
            return change
        }
    }

    static func change(_ node: YAMLNode, kind: ListUpdate.Kind) throws(DataFileError) -> ListUpdate.Change {
        guard node.isMapping else {
            guard kind == .full else {
                throw node.error("in a differential update give { id_tag, status } to add or change a tag, { id_tag } alone to remove it")
            }
            return .set(ListEntry(idTag: try idTag(node)))
        }
        var fields = try node.fields()
        let tagNode: YAMLNode
        if let node = fields.optional("id_tag") { tagNode = node } else { tagNode = try fields.required("id") }
        let tag = try idTag(tagNode)
        guard let statusNode = fields.optional("status") else {
            if kind == .differential {
                // removal: nothing else may come with it
                try fields.finish()
                return .remove(tag)
            }
            return .set(try info(&fields, tag: tag, status: .accepted))
        }
        let status = try AuthorizationSettings.word(statusNode, TagStatus.self)
        return .set(try info(&fields, tag: tag, status: status))
    }

    static func info(_ fields: inout YAMLFields, tag: String, status: TagStatus) throws(DataFileError) -> ListEntry {
        var entry = ListEntry(idTag: tag, status: status)
        if let expiry = fields.optional("expiry") {
            let text = try expiry.string()
            guard let date = Self.date(text) else { throw expiry.error("an ISO 8601 time such as 2026-12-31T23:59:59Z, got \"\(text)\"") }
            entry.expiry = date
        }
        if let parent = fields.optional("parent_id_tag") { entry.parentIdTag = try idTag(parent) }
        if let priority = fields.optional("priority") { entry.priority = try priority.bool() }
        try fields.finish()
        return entry
    }

    static func idTag(_ node: YAMLNode) throws(DataFileError) -> String {
        let text = try node.string()
        if let problem = ListEntry.problem(idTag: text) { throw node.error(problem) }
        return text
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// `authorization/list`: the version and the count, JSON.
    public static func summary(_ list: LocalList) -> String {
        "{\"count\":\(list.count),\"version\":\(list.version)}"
    }
}
