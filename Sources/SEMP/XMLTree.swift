import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: local name, namespace, child elements and its own text. Only what SEMP
/// messages use (no attributes, no mixed content).
struct XMLNode: Sendable {
    var name: String
    var namespace: String
    var children: [XMLNode] = []
    var text: String = ""

    /// Children with the local name.
    func all(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }
}

/// Bounds on what the parser accepts, so that no message can make it work or allocate much.
struct XMLLimits: Sendable {
    var maxBytes: Int
    var maxDepth: Int
    var maxElements: Int
    var maxTextBytes: Int

    static let semp = XMLLimits(maxBytes: 64 * 1024, maxDepth: 8, maxElements: 4096, maxTextBytes: 1024)
}

enum XMLTree {
    /// Parses bytes into a tree. Refuses, before the XML parser sees a byte: more than the size
    /// limit, NUL bytes and any markup declaration (`<!DOCTYPE`, `<!ENTITY`, …) — so no entity is
    /// ever declared, expanded or fetched (no XXE, no entity expansion bombs). Comments and CDATA
    /// sections remain allowed.
    static func parse(_ bytes: [UInt8], limits: XMLLimits = .semp) throws(SEMPError) -> XMLNode {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: limits.maxBytes) }
        guard bytes.contains(where: { !isSpace($0) }) else { throw .empty }
        try screen(bytes)

        let builder = TreeBuilder(limits: limits)
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        let parsed = parser.parse()
        if let failure = builder.failure { throw failure }
        // FoundationXML on Linux can answer `true` for a document that is not well-formed and only
        // set `parserError`: both are checked, and the tree must have closed.
        if !parsed || parser.parserError != nil {
            let code = (parser.parserError as NSError?)?.code
            throw .malformed("line \(parser.lineNumber), column \(parser.columnNumber)" + (code.map { " (parser error \($0))" } ?? ""))
        }
        guard let root = builder.root, builder.stack.isEmpty else {
            throw .malformed("the document ends inside an element")
        }
        return root
    }

    /// The byte-level screen: NUL, and `<!` other than a comment or CDATA section.
    private static func screen(_ bytes: [UInt8]) throws(SEMPError) {
        let comment = Array("<!--".utf8), cdata = Array("<![CDATA[".utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 { throw .malformed("NUL byte at offset \(index)") }
            if byte == UInt8(ascii: "<"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "!") {
                if !hasPrefix(bytes, comment, at: index), !hasPrefix(bytes, cdata, at: index) { throw .doctypeForbidden }
            }
            index += 1
        }
    }

    private static func hasPrefix(_ bytes: [UInt8], _ prefix: [UInt8], at index: Int) -> Bool {
        guard index + prefix.count <= bytes.count else { return false }
        return bytes[index ..< index + prefix.count].elementsEqual(prefix)
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}

/// The parser's delegate: builds the tree on a stack, and stops the parse at the first limit crossed.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    let limits: XMLLimits
    var stack: [XMLNode] = []
    var root: XMLNode?
    var failure: SEMPError?
    var elements = 0

    init(limits: XMLLimits) {
        self.limits = limits
    }

    private func fail(_ error: SEMPError, _ parser: XMLParser) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        guard failure == nil else { return }
        elements += 1
        if elements > limits.maxElements { return fail(.tooComplex("more than \(limits.maxElements) elements"), parser) }
        if stack.count >= limits.maxDepth { return fail(.tooComplex("nested deeper than \(limits.maxDepth) levels"), parser) }
        if root != nil, stack.isEmpty { return fail(.malformed("a second root element <\(elementName)>"), parser) }
        stack.append(XMLNode(name: elementName, namespace: namespaceURI ?? ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        append(string, parser)
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard let text = String(data: CDATABlock, encoding: .utf8) else {
            return fail(.malformed("CDATA section that is not UTF-8"), parser)
        }
        append(text, parser)
    }

    private func append(_ text: String, _ parser: XMLParser) {
        guard failure == nil else { return }
        guard !stack.isEmpty else {
            // outside the root only white space is allowed (the parser itself refuses the rest)
            return
        }
        if stack[stack.count - 1].text.utf8.count + text.utf8.count > limits.maxTextBytes {
            return fail(.tooComplex("text of <\(stack[stack.count - 1].name)> longer than \(limits.maxTextBytes) bytes"), parser)
        }
        stack[stack.count - 1].text += text
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard failure == nil else { return }
        guard let node = stack.popLast() else { return fail(.malformed("closing tag </\(elementName)> without an opening one"), parser) }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        fail(.doctypeForbidden, parser)
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        fail(.doctypeForbidden, parser)
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        fail(.doctypeForbidden, parser)
        return nil
    }
}

/// Text for XML: the five markup characters escaped, and characters XML 1.0 cannot carry (C0
/// controls other than tab, newline and carriage return; U+FFFE, U+FFFF) replaced by U+FFFD.
public func xmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
