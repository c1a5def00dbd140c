/// What the CPO uplink keeps per charger (its journal of OCPP transaction messages, the
/// backend's transaction ids, kept state), as stored. No I/O.

/// One stored uplink message (its payload as JSON text).
public struct UplinkMessageRow: Sendable, Equatable {
    public var seq: Int64
    public var transaction: Int64
    public var action: String
    public var payload: String
    public init(seq: Int64, transaction: Int64, action: String, payload: String) {
        self.seq = seq
        self.transaction = transaction
        self.action = action
        self.payload = payload
    }
}

/// A change of one charger's uplink records, written in order in one transaction.
public enum UplinkRowChange: Sendable, Equatable {
    case append(UplinkMessageRow)
    case remove(seq: Int64)
    case transactionId(transaction: Int64, remote: Int)
    case forgetTransaction(Int64)
    /// nil removes the key.
    case state(key: String, value: String?)
}

/// What is stored of one charger's uplink.
public struct UplinkRecords: Sendable, Equatable {
    public var messages: [UplinkMessageRow] = []
    public var remoteIds: [Int64: Int] = [:]
    public var state: [String: String] = [:]
    public init(messages: [UplinkMessageRow] = [], remoteIds: [Int64: Int] = [:], state: [String: String] = [:]) {
        self.messages = messages
        self.remoteIds = remoteIds
        self.state = state
    }
}
