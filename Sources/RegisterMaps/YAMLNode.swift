import Foundation
import NameSuggestion
import Yams

/// An error in a YAML data file, naming the file, the line (and for syntax errors the column) and
/// the field.
public struct DataFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let field: String
    public let message: String

    public init(file: String, line: Int?, column: Int? = nil, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        var place = line.map { "\(file):\($0)" } ?? file
        if line != nil, let column { place += ":\(column)" }
        return field.isEmpty ? "\(place): \(message)" : "\(place): \(field): \(message)"
    }
}

/// A YAML node together with where it came from, so every conversion error can say
/// "file:line: field: problem". Shared by every loader of YAML data (maps, configuration).
public struct YAMLNode {
    public let node: Node
    public let file: String
    public let path: String

    public init(node: Node, file: String, path: String) {
        self.node = node
        self.file = file
        self.path = path
    }

    /// Parses a whole document; syntax errors carry the line and column of the problem and a hint:
    /// nearly every YAML syntax error in a hand-edited file is an indentation (or a tab).
    public static func parse(_ text: String, file: String) throws(DataFileError) -> YAMLNode {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                throw DataFileError(file: file, line: nil, field: "", message: "the file is empty")
            }
            return YAMLNode(node: root, file: file, path: "")
        } catch let error as DataFileError {
            throw error
        } catch let YamlError.scanner(_, problem, mark, _),
                let YamlError.parser(_, problem, mark, _),
                let YamlError.composer(_, problem, mark, _) {
            throw DataFileError(file: file, line: mark.line, column: mark.column, field: "",
                                message: "YAML: \(problem) — check the indentation (spaces, not tabs) of this line and the one above")
        } catch {
            throw DataFileError(file: file, line: nil, field: "", message: "YAML: \(error)")
        }
    }

    public var line: Int? { node.mark?.line }

    public func error(_ message: String) -> DataFileError {
        DataFileError(file: file, line: line, field: path, message: message)
    }

    func child(_ node: Node, _ key: String) -> YAMLNode {
        YAMLNode(node: node, file: file, path: path.isEmpty || key.hasPrefix("[") ? path + key : "\(path).\(key)")
    }

    public func fields() throws(DataFileError) -> YAMLFields {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping of fields") }
        var entries: [(String, YAMLNode)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw child(key, "?").error("keys must be plain words") }
            if entries.contains(where: { $0.0 == scalar.string }) {
                throw child(value, scalar.string).error("appears twice")
            }
            entries.append((scalar.string, child(value, scalar.string)))
        }
        return YAMLFields(owner: self, entries: entries)
    }

    /// The node at `keys` below this one (nil when one is missing): for a check made after parsing
    /// that must point at the field's line.
    public func descendant(_ keys: String...) -> YAMLNode? {
        var current = self
        for key in keys {
            guard var fields = try? current.fields(), let next = fields.optional(key) else { return nil }
            current = next
        }
        return current
    }

    /// A mapping (`{ key: value }`) rather than a single value or a list.
    public var isMapping: Bool { if case .mapping = node { true } else { false } }

    public func list() throws(DataFileError) -> [YAMLNode] {
        switch node {
        case .sequence(let sequence):
            return sequence.enumerated().map { child($0.element, "[\($0.offset)]") }
        case .scalar:
            return [self]   // a single value where a list is allowed
        default:
            throw error("expected a list")
        }
    }

    public func string() throws(DataFileError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value") }
        return scalar.string
    }

    public func integer() throws(DataFileError) -> Int {
        let text = try string().replacingOccurrences(of: "_", with: "")
        if let value = YAMLNode.parseInteger(text) { return value }
        throw error("expected an integer, got \"\(text)\"")
    }

    public func number() throws(DataFileError) -> Double {
        let text = try string().replacingOccurrences(of: "_", with: "")
        if let value = YAMLNode.parseInteger(text) { return Double(value) }
        switch text.lowercased() {
        case "nan", ".nan": return .nan
        case "inf", ".inf", "+.inf": return .infinity
        case "-inf", "-.inf": return -.infinity
        default: break
        }
        if let value = Double(text) { return value }
        throw error("expected a number, got \"\(text)\"")
    }

    /// An integer that must lie in `range`; the error says the range and what was found.
    public func integer(in range: ClosedRange<Int>) throws(DataFileError) -> Int {
        let value = try integer()
        guard range.contains(value) else { throw error("must be \(range.lowerBound)…\(range.upperBound), got \(value)") }
        return value
    }

    /// A number that must lie in `range`.
    public func number(in range: ClosedRange<Double>) throws(DataFileError) -> Double {
        let value = try number()
        guard range.contains(value) else { throw error("must be \(range.lowerBound)…\(range.upperBound), got \(value)") }
        return value
    }

    public func bool() throws(DataFileError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("expected true or false, got \"\(other)\"")
        }
    }

    /// Decimal, 0x hexadecimal or 0b binary, with an optional sign.
    static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() } else if body.hasPrefix("+") { body = body.dropFirst() }
        let magnitude: UInt64?
        if body.lowercased().hasPrefix("0x") {
            magnitude = UInt64(body.dropFirst(2), radix: 16)
        } else if body.lowercased().hasPrefix("0b") {
            magnitude = UInt64(body.dropFirst(2), radix: 2)
        } else {
            magnitude = UInt64(body, radix: 10)
        }
        guard let magnitude else { return nil }
        if negative {
            return magnitude <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        // Unsigned 64-bit patterns (e.g. sentinel 0xFFFFFFFFFFFFFFFF) keep their bits.
        return Int(truncatingIfNeeded: magnitude)
    }
}

/// The fields of one YAML mapping. Every field must be consumed; `finish()` rejects unknown ones
/// so a typo in a data file is an error, not a silently ignored setting.
public struct YAMLFields {
    public let owner: YAMLNode
    public let entries: [(String, YAMLNode)]
    private var used: Set<String> = []

    init(owner: YAMLNode, entries: [(String, YAMLNode)]) {
        self.owner = owner
        self.entries = entries
    }

    public mutating func optional(_ key: String) -> YAMLNode? {
        used.insert(key)
        return entries.first { $0.0 == key }?.1
    }

    public mutating func required(_ key: String) throws(DataFileError) -> YAMLNode {
        if let node = optional(key) { return node }
        let field = owner.path.isEmpty ? key : "\(owner.path).\(key)"
        throw DataFileError(file: owner.file, line: owner.line, field: field, message: "missing required field")
    }

    public func finish(allowed extra: Set<String> = []) throws(DataFileError) {
        for (key, node) in entries where !used.contains(key) && !extra.contains(key) {
            let known = used.union(extra).sorted()
            throw node.error("unknown field (known fields here: \(known.joined(separator: ", ")))" + Suggestion.didYouMean(key, among: known))
        }
    }
}
