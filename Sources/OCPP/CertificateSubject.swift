/// The subject common name (CN) of an X.509 certificate in DER (RFC 5280 §4.1), read without a
/// crypto library: the server checks a charge point's certificate (security profile 3) after TLS
/// has verified it against the configured CA, and only needs the name in it. Every length is
/// bounds-checked; anything unexpected is nil, never a crash.
public enum CertificateSubject {
    /// The subject's CN when there is exactly one, as text (UTF8String, PrintableString or
    /// IA5String); nil when there is none, more than one, or the DER is not a certificate.
    public static func commonName(der: [UInt8]) -> String? {
        var reader = DERReader(bytes: der[...])
        guard let certificate = reader.read(tag: 0x30) else { return nil }
        var certificateBody = DERReader(bytes: certificate)
        guard let tbs = certificateBody.read(tag: 0x30) else { return nil }
        var fields = DERReader(bytes: tbs)
        if fields.peek == 0xA0 { _ = fields.read(tag: 0xA0) }   // [0] version, absent for v1
        // serialNumber, signature, issuer, validity: skipped; the subject follows
        guard fields.read(tag: 0x02) != nil, fields.read(tag: 0x30) != nil, fields.read(tag: 0x30) != nil,
              fields.read(tag: 0x30) != nil, let subject = fields.read(tag: 0x30) else { return nil }
        var names: [String] = []
        var relativeNames = DERReader(bytes: subject)
        while !relativeNames.atEnd {
            guard let set = relativeNames.read(tag: 0x31) else { return nil }
            var attributes = DERReader(bytes: set)
            while !attributes.atEnd {
                guard let attribute = attributes.read(tag: 0x30) else { return nil }
                var parts = DERReader(bytes: attribute)
                guard let type = parts.read(tag: 0x06), let (tag, value) = parts.readAny() else { return nil }
                guard Array(type) == commonNameOID else { continue }
                // text types a CN uses; BMPString / UniversalString / TeletexString are refused
                guard [0x0C, 0x13, 0x16].contains(tag) else { return nil }
                let text = String(decoding: value, as: UTF8.self)
                guard text.utf8.elementsEqual(value) else { return nil }   // not valid UTF-8
                names.append(text)
            }
        }
        return names.count == 1 ? names[0] : nil
    }

    /// 2.5.4.3 (id-at-commonName), the OID's content bytes.
    static let commonNameOID: [UInt8] = [0x55, 0x04, 0x03]
}

/// Reads DER tag-length-value elements (single-byte tags, definite lengths up to 4 bytes).
struct DERReader {
    var bytes: ArraySlice<UInt8>

    var atEnd: Bool { bytes.isEmpty }
    var peek: UInt8? { bytes.first }

    /// The next element's content if its tag is `tag`; nil (nothing consumed) otherwise.
    mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
        guard peek == tag else { return nil }
        return readAny()?.content
    }

    mutating func readAny() -> (tag: UInt8, content: ArraySlice<UInt8>)? {
        var rest = bytes
        guard let tag = rest.popFirst(), let first = rest.popFirst() else { return nil }
        var length = Int(first)
        if first & 0x80 != 0 {
            let count = Int(first & 0x7F)
            guard (1...4).contains(count), rest.count >= count else { return nil }
            length = rest.prefix(count).reduce(0) { $0 << 8 | Int($1) }
            rest = rest.dropFirst(count)
        }
        guard rest.count >= length else { return nil }
        let content = rest.prefix(length)
        bytes = rest.dropFirst(length)
        return (tag, content)
    }
}
