import GRDB
import StorageModel

/// The CPO uplink's journal (OCPP transaction messages kept until the backend answers them), the
/// backend's transaction ids and the kept state, per charger. Every write is committed
/// (`synchronous = FULL`) before it returns, so a kill -9 loses nothing written.
extension ChargeDatabase {
    public func applyUplink(charger: String, _ changes: [UplinkRowChange]) throws(StorageError) {
        guard !changes.isEmpty else { return }
        try write { db in
            for change in changes {
                switch change {
                case .append(let row):
                    try db.execute(sql: "INSERT OR REPLACE INTO uplink_message(charger, seq, tx, action, payload) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [charger, row.seq, row.transaction, row.action, row.payload])
                case .remove(let seq):
                    try db.execute(sql: "DELETE FROM uplink_message WHERE charger = ? AND seq = ?", arguments: [charger, seq])
                case .transactionId(let transaction, let remote):
                    try db.execute(sql: "INSERT OR REPLACE INTO uplink_transaction(charger, tx, remote_id) VALUES (?, ?, ?)",
                                   arguments: [charger, transaction, remote])
                case .forgetTransaction(let transaction):
                    try db.execute(sql: "DELETE FROM uplink_transaction WHERE charger = ? AND tx = ?", arguments: [charger, transaction])
                case .state(let key, let value?):
                    try db.execute(sql: "INSERT OR REPLACE INTO uplink_state(charger, key, value) VALUES (?, ?, ?)", arguments: [charger, key, value])
                case .state(let key, nil):
                    try db.execute(sql: "DELETE FROM uplink_state WHERE charger = ? AND key = ?", arguments: [charger, key])
                }
            }
        }
    }

    public func uplinkRecords(charger: String) throws(StorageError) -> UplinkRecords {
        try read { db in
            var records = UplinkRecords()
            for row in try Row.fetchAll(db, sql: "SELECT seq, tx, action, payload FROM uplink_message WHERE charger = ? ORDER BY seq", arguments: [charger]) {
                records.messages.append(UplinkMessageRow(seq: row["seq"], transaction: row["tx"], action: row["action"], payload: row["payload"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT tx, remote_id FROM uplink_transaction WHERE charger = ?", arguments: [charger]) {
                records.remoteIds[row["tx"]] = row["remote_id"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM uplink_state WHERE charger = ?", arguments: [charger]) {
                records.state[row["key"]] = row["value"]
            }
            return records
        }
    }
}
