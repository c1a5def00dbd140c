import Foundation
import Modbus
import RegisterMaps

/// Text and JSON renderings of readings. Missing values are never printed as numbers.
enum ReadingFormatter {
    static func table(_ readings: [Reading]) -> String {
        let width = readings.map(\.name.count).max() ?? 0
        return readings.map { reading in
            let name = reading.name.padding(toLength: width, withPad: " ", startingAt: 0)
            switch reading.value {
            case .success(.number(let value)):
                return "  \(name)  \(format(value)) \(reading.unit)"
            case .success(.text(let text)):
                return "  \(name)  \"\(text)\""
            case .failure(let reason):
                return "  \(name)  — (missing: \(reason))"
            }
        }.joined(separator: "\n")
    }

    static func json(_ readings: [Reading]) -> String {
        let body = readings.map { reading -> String in
            let value: String
            switch reading.value {
            case .success(.number(let number)): value = format(number)
            case .success(.text(let text)): value = jsonString(text)
            case .failure: value = "null"
            }
            return "\(jsonString(reading.name)): \(value)"
        }
        return "{" + body.joined(separator: ", ") + "}"
    }

    static func stats(_ outcomes: [PollOutcome], quantities: Int) -> String {
        let times = outcomes.map { Double($0.duration.components.attoseconds) / 1e15 + Double($0.duration.components.seconds) * 1000 }
        let mean = times.reduce(0, +) / Double(times.count)
        let requests = outcomes.last?.requests ?? 0
        return String(format: "stats: %d quantities, %d requests per poll, poll time %.2f ms (mean of %d, min %.2f, max %.2f)",
                      quantities, requests, mean, times.count, times.min() ?? 0, times.max() ?? 0)
    }

    /// Shortest text that reads back as the same Double.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
