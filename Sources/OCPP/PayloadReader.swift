import Foundation

/// Reads a CALL payload field by field, with OCPP-J's answers for what is wrong: not an object
/// (FormationViolation), a required field missing (OccurenceConstraintViolation), a field of the
/// wrong type (TypeConstraintViolation), a value outside its enumeration or length
/// (PropertyConstraintViolation).
package struct PayloadReader {
    package let fields: [String: JSONValue]

    package init(_ payload: JSONValue) throws(OCPPFailure) {
        guard case .object(let fields) = payload else { throw OCPPFailure(.formationViolation, "payload is not a JSON object") }
        self.fields = fields
    }

    package func string(_ key: String, max length: Int = 500) throws(OCPPFailure) -> String {
        guard let value = fields[key] else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        return try string(value, key, max: length)
    }

    package func optionalString(_ key: String, max length: Int = 500) throws(OCPPFailure) -> String? {
        guard let value = fields[key], value != .null else { return nil }
        return try string(value, key, max: length)
    }

    private func string(_ value: JSONValue, _ key: String, max length: Int) throws(OCPPFailure) -> String {
        guard case .string(let text) = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be a string") }
        guard text.count <= length else { throw OCPPFailure(.propertyConstraintViolation, "\(key) is longer than \(length) characters") }
        return text
    }

    package func integer(_ key: String) throws(OCPPFailure) -> Int {
        guard let value = fields[key] else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        return try integer(value, key)
    }

    package func optionalInteger(_ key: String) throws(OCPPFailure) -> Int? {
        guard let value = fields[key], value != .null else { return nil }
        return try integer(value, key)
    }

    private func integer(_ value: JSONValue, _ key: String) throws(OCPPFailure) -> Int {
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 1e15 else {
            throw OCPPFailure(.typeConstraintViolation, "\(key) must be an integer")
        }
        return Int(number)
    }

    /// A JSON number (2.0.1 decimals: meter values, limits).
    func number(_ key: String) throws(OCPPFailure) -> Double {
        guard let value = fields[key] else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        guard case .number(let number) = value, number.isFinite else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be a number") }
        return number
    }

    func optionalBool(_ key: String) throws(OCPPFailure) -> Bool? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be true or false") }
        return flag
    }

    /// A nested object, read the same way (2.0.1 nests most of its fields).
    func object(_ key: String) throws(OCPPFailure) -> PayloadReader {
        guard let reader = try optionalObject(key) else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        return reader
    }

    func optionalObject(_ key: String) throws(OCPPFailure) -> PayloadReader? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .object = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be an object") }
        return try PayloadReader(value)
    }

    func optionalOneOf<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(OCPPFailure) -> T? where T.RawValue == String {
        guard fields[key] != nil, fields[key] != .null else { return nil }
        return try oneOf(key, type)
    }

    package func oneOf<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(OCPPFailure) -> T where T.RawValue == String {
        let text = try string(key)
        guard let value = T(rawValue: text) else { throw OCPPFailure(.propertyConstraintViolation, "\(key) \"\(text)\" is not a valid value") }
        return value
    }

    package func array(_ key: String) throws(OCPPFailure) -> [JSONValue] {
        guard let value = fields[key] else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        guard case .array(let items) = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be an array") }
        return items
    }

    package func optionalArray(_ key: String) throws(OCPPFailure) -> [JSONValue]? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .array(let items) = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be an array") }
        return items
    }

    /// An OCPP dateTime (RFC 3339); nil when absent.
    package func optionalDate(_ key: String) throws(OCPPFailure) -> Date? {
        guard let text = try optionalString(key, max: 64) else { return nil }
        guard let date = OCPPTime.parse(text) else { throw OCPPFailure(.propertyConstraintViolation, "\(key) \"\(text)\" is not a date-time") }
        return date
    }

    package func date(_ key: String) throws(OCPPFailure) -> Date {
        guard let date = try optionalDate(key) else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        return date
    }
}

/// OCPP date-times: RFC 3339 ("2026-12-02T10:15:30.123Z", or with an offset), read and written by
/// hand: a formatter per message cost more than the rest of a MeterValues together.
public enum OCPPTime {
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for byte in b[start..<(start + count)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == 0x2D, let month = digits(5, 2), b[7] == 0x2D, let day = digits(8, 2),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let hour = digits(11, 2), b[13] == 0x3A,
              let minute = digits(14, 2), b[16] == 0x3A, let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, (0x30...0x39).contains(b[index]) {
                fraction += Double(b[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < b.count else { return nil }
        var offset = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let hours = digits(index + 1, 2), index + 3 < b.count, b[index + 3] == 0x3A, let minutes = digits(index + 4, 2) else { return nil }
            offset = (hours * 60 + minutes) * 60 * (b[index] == UInt8(ascii: "+") ? 1 : -1)
            index += 6
        default:
            return nil
        }
        guard index == b.count else { return nil }
        let seconds = Double(daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    public static func format(_ date: Date) -> String {
        let total = date.timeIntervalSince1970
        let whole = Int(total.rounded(.down))
        let milliseconds = min(999, Int(((total - Double(whole)) * 1000).rounded()))
        let days = Int((Double(whole) / 86_400).rounded(.down))
        let inDay = whole - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(year)-\(two(month))-\(two(day))T\(two(inDay / 3600)):\(two(inDay % 3600 / 60)):\(two(inDay % 60)).\(ms)Z"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
