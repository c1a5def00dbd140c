import EnergyControl
import Foundation

/// Turns wall-clock time into the local time that time of use, off-peak and priority hours follow,
/// in the site's time zone (`site.time_zone`, by default the machine's).
public struct LocalClock: Sendable {
    public let timeZone: TimeZone
    private let calendar: Calendar

    public init(timeZone: TimeZone = .current) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// - Parameter unix: seconds since 1970 (UTC).
    public func localTime(unix: Double) -> LocalTime {
        let parts = calendar.dateComponents([.weekday, .hour, .minute, .second], from: Date(timeIntervalSince1970: unix))
        // Calendar weekdays count from Sunday = 1; ISO from Monday = 1
        let weekday = ((parts.weekday ?? 2) + 5) % 7 + 1
        return LocalTime(weekday: weekday, secondOfDay: Double((parts.hour ?? 0) * 3600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0)))
    }
}
