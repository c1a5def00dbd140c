/// The span the status page's charts cover: `/?range=hour` (the default) or `/?range=day`.
public enum HistoryRange: String, Sendable, CaseIterable {
    case hour, day

    /// The query's value; anything else (absent, unknown, too long) is the hour.
    public init(query: String?) {
        self = query.flatMap(HistoryRange.init(rawValue:)) ?? .hour
    }

    public var seconds: Double { self == .hour ? 3_600 : 86_400 }
    public var title: String { self == .hour ? "last hour" : "last 24 h" }
}
