import StorageModel

/// The session table of a simulated run: storage changes applied as the database applies them
/// (a new session closes an open one of the same charger as `superseded`), and the events recorded.
struct SessionBook: Sendable {
    private(set) var sessions: [SessionRecord] = []
    private(set) var events: [EventRecord] = []
    private var open: [String: Int] = [:]

    mutating func apply(_ changes: [StorageChange]) {
        for change in changes {
            switch change {
            case .open(let record):
                if let index = open[record.charger] {
                    sessions[index].endedAt = sessions[index].updatedAt
                    sessions[index].endReason = "superseded"
                }
                open[record.charger] = sessions.count
                sessions.append(record)
            case .update(let record):
                guard let index = open[record.charger] else { continue }
                sessions[index] = record
                if record.endedAt != nil { open[record.charger] = nil }
            case .event(let record):
                events.append(record)
            case .setting:
                break
            }
        }
    }
}
