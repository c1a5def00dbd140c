/// Why a SEMP message was refused; ``message`` is the sentence for the log and the HTTP 400 body.
public enum SEMPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// More bytes than a SEMP message may have.
    case tooLarge(bytes: Int, limit: Int)
    /// Empty body.
    case empty
    /// A document type declaration: entities are never expanded nor fetched, so none is accepted.
    case doctypeForbidden
    /// Not well-formed XML (the parser's words, with a line).
    case malformed(String)
    /// The document nests deeper or has more elements than a SEMP message ever needs.
    case tooComplex(String)
    /// The root is not the expected element (or in a foreign namespace).
    case unexpectedRoot(found: String, expected: String)
    case unknownElement(String, in: String)
    case missingElement(String, in: String)
    case duplicateElement(String, in: String)
    /// Text where only elements belong.
    case unexpectedText(in: String)
    /// A value that is not of its element's type or range.
    case invalidValue(element: String, value: String, reason: String)
    /// More `DeviceControl`s than the limit.
    case tooManyControls(count: Int, limit: Int)

    public var message: String {
        switch self {
        case .tooLarge(let bytes, let limit): "SEMP message of \(bytes) bytes, over the limit of \(limit)"
        case .empty: "empty SEMP message"
        case .doctypeForbidden: "document type declarations (DOCTYPE, ENTITY) are not accepted"
        case .malformed(let detail): "malformed XML: \(detail)"
        case .tooComplex(let detail): "XML too complex: \(detail)"
        case .unexpectedRoot(let found, let expected): "root element <\(found)>, expected <\(expected)> in the SEMP namespace"
        case .unknownElement(let name, let parent): "unknown element <\(name)> in <\(parent)>"
        case .missingElement(let name, let parent): "missing element <\(name)> in <\(parent)>"
        case .duplicateElement(let name, let parent): "element <\(name)> given twice in <\(parent)>"
        case .unexpectedText(let parent): "text where only elements belong, in <\(parent)>"
        case .invalidValue(let element, let value, let reason): "<\(element)> \"\(SEMPError.clip(value))\": \(reason)"
        case .tooManyControls(let count, let limit): "\(count) DeviceControl elements, the limit is \(limit)"
        }
    }

    public var description: String { message }

    /// Values quoted back are cut short (and stripped of control characters): an error message is no
    /// place to echo a stranger's megabyte.
    static func clip(_ text: String, to limit: Int = 40) -> String {
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        return clean.count <= limit ? clean : String(clean.prefix(limit)) + "…"
    }
}
