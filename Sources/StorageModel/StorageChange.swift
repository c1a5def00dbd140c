/// What the service asks the store to write; a batch of changes is one transaction.
public enum StorageChange: Sendable, Equatable {
    /// A session began (an open session of the same charger is closed first, as `superseded`).
    case open(SessionRecord)
    /// The open session of `session.charger` has new totals (a checkpoint, or its end when `endedAt` is set).
    case update(SessionRecord)
    case event(EventRecord)
    /// A value kept under a key (replaced whole).
    case setting(key: String, value: String, at: Double)
}
