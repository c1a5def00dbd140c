import StorageModel
import Foundation
import GRDB

/// The SQLite database of one bridge: sessions, the event log and runtime settings. WAL mode, so
/// exports read while the service writes; `synchronous = FULL`, so a committed write survives a
/// crash of the process and a power cut.
public final class ChargeDatabase: Sendable {
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String, readOnly: Bool = false) throws(StorageError) {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            if !readOnly {
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } else if !FileManager.default.fileExists(atPath: path) {
                throw StorageError("\(path): no such database")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            if readOnly {
                let known = try pool.read { db in try Schema.migrator.hasCompletedMigrations(db) }
                guard known else { throw StorageError("\(path) was written by a different version of chargebridge; open it with `chargebridge run` once to migrate it") }
            } else {
                try Schema.migrator.migrate(pool)
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError("\(path): \(error)")
        }
    }

    // MARK: - Writes

    /// Writes a batch in one transaction: all of it or (on error) none.
    public func apply(_ changes: [StorageChange]) throws(StorageError) {
        guard !changes.isEmpty else { return }
        try write { db in
            for change in changes {
                switch change {
                case .open(var session):
                    try db.execute(sql: """
                        UPDATE session SET ended_at = updated_at, end_reason = 'superseded',
                        comment = ltrim(comment || '; ', '; ') || 'a new session began on this charger before this one was seen to end'
                        WHERE charger = ? AND ended_at IS NULL
                        """,
                                   arguments: [session.charger])
                    try session.insert(db)
                case .update(let session):
                    let encoded = String(decoding: try JSONEncoder().encode(session.periodEnergy), as: UTF8.self)
                    try db.execute(sql: """
                        UPDATE session SET energy_wh = ?, id_tag = ?, max_current = ?, period_energy = ?, updated_at = ?,
                        ended_at = ?, end_reason = ?, meter_start_wh = ?, meter_end_wh = ?, charger_serial = ?,
                        connector = ?, station_name = ?, charge_type = ?, effective_charge_s = ?, comment = ?, charger_transaction = ?
                        WHERE charger = ? AND ended_at IS NULL
                        """, arguments: [session.energyWh, session.idTag, session.maxCurrent, encoded, session.updatedAt,
                                         session.endedAt, session.endReason, session.meterStartWh, session.meterEndWh, session.chargerSerial,
                                         session.connector, session.stationName, session.chargeType, session.effectiveChargeSeconds,
                                         session.comment, session.chargerTransaction, session.charger])
                case .event(var event):
                    try event.insert(db)
                case .setting(let key, let value, let time):
                    try Self.setSetting(db, key, value, at: time)
                }
            }
        }
    }

    /// Deletes events older than `time` (Unix seconds); returns how many went.
    @discardableResult
    public func pruneEvents(before time: Double) throws(StorageError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM event WHERE at < ?", arguments: [time])
            return db.changesCount
        }
    }

    /// Saves a setting; when this returns it is on disk.
    public func setSetting(_ key: String, _ value: String, at time: Double) throws(StorageError) {
        try write { db in try Self.setSetting(db, key, value, at: time) }
    }

    private static func setSetting(_ db: Database, _ key: String, _ value: String, at time: Double) throws {
        try db.execute(sql: "INSERT INTO setting(key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                       arguments: [key, value, time])
    }

    // MARK: - Reads

    public func setting(_ key: String) throws(StorageError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    /// Sessions still open (the service stopped or crashed while they ran).
    public func openSessions() throws(StorageError) -> [SessionRecord] {
        try read { db in try SessionRecord.filter(sql: "ended_at IS NULL").order(sql: "charger").fetchAll(db) }
    }

    /// Sessions that started in [from, to), oldest first.
    public func sessions(from: Double = -.infinity, to: Double = .infinity) throws(StorageError) -> [SessionRecord] {
        try read { db in
            try SessionRecord.filter(sql: "started_at >= ? AND started_at < ?", arguments: [from.finiteOr(-1e18), to.finiteOr(1e18)])
                .order(sql: "started_at, id").fetchAll(db)
        }
    }

    /// Events in [from, to), oldest first; `kind` narrows to one kind.
    public func events(from: Double = -.infinity, to: Double = .infinity, kind: String? = nil) throws(StorageError) -> [EventRecord] {
        try read { db in
            var request = EventRecord.filter(sql: "at >= ? AND at < ?", arguments: [from.finiteOr(-1e18), to.finiteOr(1e18)])
            if let kind { request = request.filter(sql: "kind = ?", arguments: [kind]) }
            return try request.order(sql: "at, id").fetchAll(db)
        }
    }

    /// The newest `limit` events, newest first (the status page's list).
    public func recentEvents(limit: Int) throws(StorageError) -> [EventRecord] {
        try read { db in try EventRecord.order(sql: "at DESC, id DESC").limit(limit).fetchAll(db) }
    }

    public func count(of table: String) throws(StorageError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    /// Copies the WAL into the main file (done at a clean stop, so the folder holds one file).
    public func checkpoint() throws(StorageError) {
        do { try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } } catch { throw StorageError("\(path): \(error)") }
    }

    // MARK: -

    func write<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do { return try pool.write(body) } catch { throw StorageError("\(path): \(error)") }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StorageError) -> T {
        do { return try pool.read(body) } catch { throw StorageError("\(path): \(error)") }
    }
}

public struct StorageError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Double {
    fileprivate func finiteOr(_ fallback: Double) -> Double { isFinite ? self : fallback }
}
