import Foundation
import NameSuggestion

extension EventKind {
    /// A kind as an operator types it: the stored name (`failsafe-entered`) or with underscores
    /// (`failsafe_entered`, as in the MQTT and configuration vocabulary), in any case.
    public static func named(_ text: String) throws(UnknownEventKind) -> EventKind {
        guard let kind = EventKind(rawValue: UnknownEventKind.stored(text)) else { throw UnknownEventKind(text: text) }
        return kind
    }
}

/// A `--kind` that is no event kind: filtering by it would silently show nothing.
public struct UnknownEventKind: Error, CustomStringConvertible, Equatable {
    public let text: String

    static func stored(_ text: String) -> String {
        text.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    public var description: String {
        let kinds = EventKind.allCases.map(\.rawValue)
        return "unknown event kind \"\(text)\" (kinds: \(kinds.joined(separator: ", ")))"
            + Suggestion.didYouMean(Self.stored(text), among: kinds)
    }
}
