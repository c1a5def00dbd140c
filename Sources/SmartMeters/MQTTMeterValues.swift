import Foundation

/// A meter whose quantities arrive over MQTT (a Shelly, a Tasmota SML reader, values forwarded by
/// Home Assistant): where each quantity is found, and its latest value with its age. Pure: payloads
/// and times come in, readings go out. A malformed, non-numeric, non-finite or implausible value
/// counts as missing, as does one older than `maxAge`.
public struct MQTTMeterValues: Sendable {
    public struct Source: Sendable, Equatable {
        /// The quantity's standard name, e.g. `current.l1`.
        public var quantity: String
        public var topic: String
        /// Where in a JSON payload, e.g. `em:0.a_current` or `SML.Curr[0]`; nil: the payload is the number.
        public var path: [PathStep]?
        /// Multiplies the received number into SI units (a unit's factor times `scale`).
        public var factor: Double
        public var range: ClosedRange<Double>?

        public init(quantity: String, topic: String, path: [PathStep]?, factor: Double, range: ClosedRange<Double>?) {
            self.quantity = quantity
            self.topic = topic
            self.path = path
            self.factor = factor
            self.range = range
        }
    }

    public enum PathStep: Sendable, Equatable {
        case key(String)
        case index(Int)

        /// `a.b[2].c` → [.key(a), .key(b), .index(2), .key(c)]; nil for an empty or malformed path.
        public static func parse(_ text: String) -> [PathStep]? {
            var steps: [PathStep] = []
            for (number, part) in text.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
                var rest = Substring(part)
                let name = rest.prefix { $0 != "[" }
                // a key is never empty (except before a leading index) and holds no bracket
                guard !part.isEmpty, !name.contains("]"), !name.isEmpty || number == 0 else { return nil }
                if !name.isEmpty { steps.append(.key(String(name))) }
                rest = rest.dropFirst(name.count)
                while rest.first == "[" {
                    guard let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close]), index >= 0 else { return nil }
                    steps.append(.index(index))
                    rest = rest[rest.index(after: close)...]
                }
                guard rest.isEmpty, !(name.isEmpty && steps.isEmpty) else { return nil }
            }
            return steps.isEmpty ? nil : steps
        }
    }

    public let sources: [Source]
    public let maxAge: Double
    /// Payloads above this size are refused unread.
    public static let maxPayload = 16_384
    private var latest: [String: (value: Double, time: Double)] = [:]
    /// Why each quantity's last message did not count (for the log).
    public private(set) var problems: [String: String] = [:]

    public init(sources: [Source], maxAge: Double) {
        self.sources = sources
        self.maxAge = maxAge
    }

    public var topics: Set<String> { Set(sources.map(\.topic)) }

    /// Takes one message. Returns whether it was for this meter.
    @discardableResult
    public mutating func receive(topic: String, payload: [UInt8], now: Double) -> Bool {
        let mine = sources.filter { $0.topic == topic }
        guard !mine.isEmpty else { return false }
        let json: Any? = mine.contains { $0.path != nil } && payload.count <= Self.maxPayload
            ? try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed]) : nil
        for source in mine {
            let number: Double?
            if payload.count > Self.maxPayload {
                problems[source.quantity] = "payload over \(Self.maxPayload) bytes"
                number = nil
            } else if let path = source.path {
                number = json.flatMap { Self.lookup($0, path) }.flatMap(Self.number)
                if number == nil { problems[source.quantity] = json == nil ? "not JSON" : "no number at its path" }
            } else {
                number = Self.decimal(String(decoding: payload, as: UTF8.self))
                if number == nil { problems[source.quantity] = "not a plain decimal number: \"\(String(decoding: payload.prefix(32), as: UTF8.self))\"" }
            }
            guard let number else {
                latest[source.quantity] = nil   // junk replaces the old value: never a stale number
                continue
            }
            let value = number * source.factor
            if let range = source.range, !range.contains(value) {
                problems[source.quantity] = "implausible \(value)"
                latest[source.quantity] = nil
                continue
            }
            problems[source.quantity] = nil
            latest[source.quantity] = (value, now)
        }
        return true
    }

    /// Every quantity's value now; nil when missing, malformed or older than `maxAge`.
    public func values(now: Double) -> [String: Double?] {
        var values: [String: Double?] = [:]
        for source in sources {
            if let entry = latest[source.quantity], now - entry.time <= maxAge { values[source.quantity] = entry.value } else { values[source.quantity] = .some(nil) }
        }
        return values
    }

    static func lookup(_ object: Any, _ path: [PathStep]) -> Any? {
        var current: Any? = object
        for step in path {
            switch step {
            case .key(let key): current = (current as? [String: Any])?[key]
            case .index(let index):
                guard let array = current as? [Any], index < array.count else { return nil }
                current = array[index]
            }
        }
        return current
    }

    /// A JSON number (not a boolean), or a string holding a plain decimal.
    static func number(_ value: Any) -> Double? {
        if let string = value as? String { return decimal(string) }
        // JSON's true/false come as NSNumber too, of type "c" (char): not a measurement
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }

    /// Plain decimal only: `-12.5`, `230`; not `0x10`, `1e3`, `nan`, ` 5`, `+5`.
    public static func decimal(_ text: String) -> Double? {
        var digits = 0, dots = 0
        for (index, character) in text.enumerated() {
            switch character {
            case "-" where index == 0: continue
            case ".": dots += 1
            case "0"..."9": digits += 1
            default: return nil
            }
        }
        guard digits > 0, dots <= 1, text.last != ".", text.first != "." else { return nil }
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
    }
}
