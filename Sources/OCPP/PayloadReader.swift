import Foundation

/// Reads a CALL payload field by field, with OCPP-J's answers for what is wrong: not an object
/// (FormationViolation), a required field missing (OccurenceConstraintViolation), a field of the
/// wrong type (TypeConstraintViolation), a value outside its enumeration or length
/// (PropertyConstraintViolation).
struct PayloadReader {
    let fields: [String: JSONValue]

    init(_ payload: JSONValue) throws(OCPPFailure) {
        guard case .object(let fields) = payload else { throw OCPPFailure(.formationViolation, "payload is not a JSON object") }
        self.fields = fields
    }

    func string(_ key: String, max length: Int = 500) throws(OCPPFailure) -> String {
        guard let value = fields[key] else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        return try string(value, key, max: length)
    }

    func optionalString(_ key: String, max length: Int = 500) throws(OCPPFailure) -> String? {
        guard let value = fields[key], value != .null else { return nil }
        return try string(value, key, max: length)
    }

    private func string(_ value: JSONValue, _ key: String, max length: Int) throws(OCPPFailure) -> String {
        guard case .string(let text) = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be a string") }
        guard text.count <= length else { throw OCPPFailure(.propertyConstraintViolation, "\(key) is longer than \(length) characters") }
        return text
    }

    func integer(_ key: String) throws(OCPPFailure) -> Int {
        guard let value = fields[key] else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        return try integer(value, key)
    }

    func optionalInteger(_ key: String) throws(OCPPFailure) -> Int? {
        guard let value = fields[key], value != .null else { return nil }
        return try integer(value, key)
    }

    private func integer(_ value: JSONValue, _ key: String) throws(OCPPFailure) -> Int {
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 1e15 else {
            throw OCPPFailure(.typeConstraintViolation, "\(key) must be an integer")
        }
        return Int(number)
    }

    func oneOf<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(OCPPFailure) -> T where T.RawValue == String {
        let text = try string(key)
        guard let value = T(rawValue: text) else { throw OCPPFailure(.propertyConstraintViolation, "\(key) \"\(text)\" is not a valid value") }
        return value
    }

    func array(_ key: String) throws(OCPPFailure) -> [JSONValue] {
        guard let value = fields[key] else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        guard case .array(let items) = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be an array") }
        return items
    }

    func optionalArray(_ key: String) throws(OCPPFailure) -> [JSONValue]? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .array(let items) = value else { throw OCPPFailure(.typeConstraintViolation, "\(key) must be an array") }
        return items
    }

    /// An OCPP dateTime (RFC 3339); nil when absent.
    func optionalDate(_ key: String) throws(OCPPFailure) -> Date? {
        guard let text = try optionalString(key, max: 64) else { return nil }
        guard let date = OCPPTime.parse(text) else { throw OCPPFailure(.propertyConstraintViolation, "\(key) \"\(text)\" is not a date-time") }
        return date
    }

    func date(_ key: String) throws(OCPPFailure) -> Date {
        guard let date = try optionalDate(key) else { throw OCPPFailure(.occurenceConstraintViolation, "\(key) is required") }
        return date
    }
}

/// OCPP date-times: RFC 3339 in UTC, with or without fractional seconds.
public enum OCPPTime {
    public static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
