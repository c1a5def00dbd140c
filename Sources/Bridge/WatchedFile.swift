import Foundation
import Synchronization

/// A file looked at every 10 s (from the control timer): its contents whenever its modification
/// time or size changed since the last look, read at the first one.
final class WatchedFile: Sendable {
    struct Seen: Equatable {
        var modified: Date?
        var size: Int?
    }

    enum Change {
        case unchanged
        case changed(Data)
        /// Missing, unreadable or larger than allowed.
        case unreadable
    }

    let path: String
    let maxBytes: Int
    private let state = Mutex<(checked: Double, seen: Seen?)>((-.infinity, nil))

    init(path: String, maxBytes: Int) {
        self.path = path
        self.maxBytes = maxBytes
    }

    func poll(now: Double) -> Change {
        // the file system is asked only when a look is due
        let due = state.withLock { state -> Bool in
            guard now - state.checked >= 10 || state.seen == nil else { return false }
            state.checked = now
            return true
        }
        guard due else { return .unchanged }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let seen = Seen(modified: attributes?[.modificationDate] as? Date, size: (attributes?[.size] as? NSNumber)?.intValue)
        let changed = state.withLock { state -> Bool in
            guard state.seen != seen else { return false }
            state.seen = seen
            return true
        }
        guard changed else { return .unchanged }
        guard let size = seen.size, size <= maxBytes, let data = FileManager.default.contents(atPath: path) else { return .unreadable }
        return .changed(data)
    }
}
