import GRDB
import StorageModel

// The record types are plain values (StorageModel, no database); these make them rows.

extension SessionRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "session"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension EventRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "event"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
