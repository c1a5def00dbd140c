import EnergyControl
import Foundation

/// A price series as it arrives over MQTT or in a file: a JSON array of slots,
/// `[{"start": "2026-12-04T00:00:00+01:00", "price": 0.21, "co2": 310}, …]`. `start` (and an
/// optional `end`) is ISO 8601 with an offset or Unix seconds; `price` per kWh; `co2` g/kWh,
/// optional. Every problem is one sentence naming the entry.
public enum PricePayload {
    /// Longer payloads are refused before they are parsed (7 days of 15-minute slots fit easily).
    public static let maxBytes = 256 * 1024

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static func decode(_ bytes: [UInt8], slotMinutes: Int) -> Result<PriceSeries, Problem> {
        guard bytes.count <= maxBytes else { return .failure(Problem("prices: \(bytes.count) bytes, at most \(maxBytes)")) }
        let slots: [Slot]
        do {
            slots = try JSONDecoder().decode([Slot].self, from: Data(bytes))
        } catch let problem as Problem {
            return .failure(problem)
        } catch {
            return .failure(Problem("prices: expected a JSON array of {\"start\", \"price\"} objects" + entry(of: error)))
        }
        var entries: [PriceEntry] = []
        for (index, slot) in slots.enumerated() {
            guard let start = time(slot.start) else { return .failure(Problem("prices: entry \(index): start must be ISO 8601 with an offset or Unix seconds")) }
            var entry = PriceEntry(start: start, price: slot.price, co2: slot.co2)
            if let text = slot.end {
                guard let end = time(text), end > start else { return .failure(Problem("prices: entry \(index): end must be a time after start")) }
                let minutes = (end - start) / 60
                entry.minutes = minutes == minutes.rounded() && minutes < 100_000 ? Int(minutes) : -1
            }
            entries.append(entry)
        }
        do { return .success(try PriceSeries(slotMinutes: slotMinutes, entries: entries)) } catch { return .failure(Problem(error.description)) }
    }

    /// Which entry a decoding error is in, when it says.
    static func entry(of error: any Error) -> String {
        guard let error = error as? DecodingError else { return "" }
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: return ""
        }
        guard let index = path.first?.intValue else { return "" }
        return ": entry \(index)" + (path.dropFirst().first.map { ": \($0.stringValue) missing or of the wrong type" } ?? "")
    }

    /// One slot as written: a time is a string or a number; no other keys.
    struct Slot: Decodable {
        var start: TimeValue
        var end: TimeValue?
        var price: Double
        var co2: Double?

        enum CodingKeys: String, CodingKey, CaseIterable { case start, end, price, co2 }

        init(from decoder: any Decoder) throws {
            let all = try decoder.container(keyedBy: AnyKey.self)
            let unknown = all.allKeys.map(\.stringValue).filter { CodingKeys(rawValue: $0) == nil }
            if !unknown.isEmpty {
                let index = decoder.codingPath.last?.intValue ?? 0
                throw Problem("prices: entry \(index): unknown key \(unknown.sorted().joined(separator: ", ")) (start, end, price, co2)")
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            start = try container.decode(TimeValue.self, forKey: .start)
            end = try container.decodeIfPresent(TimeValue.self, forKey: .end)
            price = try container.decode(Double.self, forKey: .price)
            co2 = try container.decodeIfPresent(Double.self, forKey: .co2)
        }
    }

    /// Any key of a JSON object: to name the ones not taken.
    public struct AnyKey: CodingKey {
        public var stringValue: String
        public var intValue: Int? { nil }
        public init(stringValue: String) { self.stringValue = stringValue }
        public init?(intValue: Int) { nil }
    }

    /// A time as JSON writes it: Unix seconds or ISO 8601 text.
    public enum TimeValue: Decodable, Sendable {
        case seconds(Double), text(String)
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) { self = .seconds(seconds) } else { self = .text(try container.decode(String.self)) }
        }
    }

    public static func time(_ value: TimeValue) -> Double? {
        switch value {
        case .seconds(let seconds): seconds.isFinite ? seconds : nil
        case .text(let text): time(text)
        }
    }

    /// Unix seconds, or ISO 8601 with a zone offset ("2026-12-04T07:00:00+01:00", "…Z").
    public static func time(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    /// Unix seconds as ISO 8601 in UTC, for what is published.
    public static func text(_ time: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: time))
    }
}
