import Foundation

/// The relative forms of the event log's `--since`: `today` and `yesterday` (local midnight) and
/// durations back from now (`30m`, `12h`, `7d`). Dates are left to the caller (nil).
public enum SinceWord {
    public static func start(_ text: String, now: Date, timeZone: TimeZone) -> Double? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        switch text.lowercased() {
        case "today":
            return calendar.startOfDay(for: now).timeIntervalSince1970
        case "yesterday":
            // a day back from midnight, not 86 400 s: a day with a clock change is 23 or 25 hours
            let midnight = calendar.startOfDay(for: now)
            return (calendar.date(byAdding: .day, value: -1, to: midnight) ?? midnight).timeIntervalSince1970
        default:
            guard let unit = text.last, let amount = Double(text.dropLast()), amount >= 0,
                  let seconds = ["m": 60.0, "h": 3600.0, "d": 86_400.0][String(unit)] else { return nil }
            return now.timeIntervalSince1970 - amount * seconds
        }
    }
}
