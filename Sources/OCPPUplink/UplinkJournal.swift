import OCPP
import StorageModel

/// One transaction-related message waiting for the backend's answer (OCPP 1.6 §4.7: such messages
/// are delivered, in order, even across outages). Its transactionId is filled in when it is sent,
/// from the backend's answer to the transaction's StartTransaction.
public struct JournalEntry: Sendable, Equatable {
    /// Order of delivery (per charger, increasing, kept across restarts).
    public var seq: Int64
    /// The local number of its transaction: the seq of its StartTransaction.
    public var transaction: Int64
    public var action: String
    public var payload: JSONValue

    public init(seq: Int64, transaction: Int64, action: String, payload: JSONValue) {
        self.seq = seq
        self.transaction = transaction
        self.action = action
        self.payload = payload
    }

    var isMeterValues: Bool { action == "MeterValues" }
}

extension JournalEntry {
    /// As stored: the payload as JSON text.
    public var row: UplinkMessageRow { UplinkMessageRow(seq: seq, transaction: transaction, action: action, payload: payload.text) }

    /// A stored row (nil: its payload no longer parses).
    public init?(row: UplinkMessageRow) {
        guard let payload = JSONValue.parse(row.payload) else { return nil }
        self.init(seq: row.seq, transaction: row.transaction, action: row.action, payload: payload)
    }
}

/// What the uplink asks the database to do, in order (the journal, transaction ids, kept state).
public typealias UplinkStoreChange = UplinkRowChange

extension UplinkRowChange {
    /// A value kept across restarts (nil removes it): the open transaction, the backend's profiles and settings.
    static func keep(_ key: String, _ value: JSONValue?) -> UplinkRowChange { .state(key: key, value: value?.text) }
}

/// The ordered messages of one charger still to be delivered, bounded: when full, every second
/// MeterValues of the older half goes (the oldest readings thinned first); StartTransaction and
/// StopTransaction are never dropped. Pure.
public struct UplinkJournal: Sendable, Equatable {
    public private(set) var entries: [JournalEntry]
    public let capacity: Int
    private(set) var nextSeq: Int64

    public init(entries: [JournalEntry] = [], capacity: Int) {
        self.entries = entries.sorted { $0.seq < $1.seq }
        self.capacity = max(4, capacity)
        nextSeq = (self.entries.last?.seq ?? 0) + 1
    }

    /// Lets seqs continue after those already used (transaction numbers kept elsewhere).
    mutating func reserve(after seq: Int64) { nextSeq = max(nextSeq, seq + 1) }

    /// Appends a message; returns the changes for the database (its row, and rows thinned out).
    /// `transaction` nil: it opens a transaction of its own (its seq).
    mutating func append(_ action: String, _ payload: JSONValue, transaction: Int64?, sending: Int64?) -> (JournalEntry, [UplinkStoreChange]) {
        let entry = JournalEntry(seq: nextSeq, transaction: transaction ?? nextSeq, action: action, payload: payload)
        nextSeq += 1
        var changes: [UplinkStoreChange] = []
        if entries.count >= capacity { changes += thin(keeping: sending) }
        entries.append(entry)
        changes.append(.append(entry.row))
        return (entry, changes)
    }

    private mutating func thin(keeping sending: Int64?) -> [UplinkStoreChange] {
        let meters = entries.filter { $0.isMeterValues && $0.seq != sending }.map(\.seq)
        let older = meters.prefix(max(1, meters.count / 2))
        let dropped = Set(older.enumerated().filter { $0.offset % 2 == 1 || older.count == 1 }.map(\.element))
        entries.removeAll { dropped.contains($0.seq) }
        return dropped.sorted().map { .remove(seq: $0) }
    }

    mutating func remove(seq: Int64) { entries.removeAll { $0.seq == seq } }

    /// Drops what is left of a transaction whose start the backend never took.
    mutating func removeTransaction(_ transaction: Int64) -> [UplinkStoreChange] {
        let gone = entries.filter { $0.transaction == transaction }.map(\.seq)
        entries.removeAll { $0.transaction == transaction }
        return gone.map { .remove(seq: $0) }
    }

    public var first: JournalEntry? { entries.first }
    public var count: Int { entries.count }
    func holds(transaction: Int64) -> Bool { entries.contains { $0.transaction == transaction } }
}
