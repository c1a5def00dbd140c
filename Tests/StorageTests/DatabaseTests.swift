import StorageModel
import Foundation
import GRDB
@testable import Storage
import Testing

@Suite("Storage: database")
struct DatabaseTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("cb-db-\(UUID().uuidString)/chargebridge.sqlite").path
    }

    @Test func aNewDatabaseIsMigratedInWALModeAndKeepsItsDataAcrossOpens() throws {
        let path = Self.temporaryPath()
        let database = try ChargeDatabase(path: path)
        try database.apply([.open(SessionRecord(charger: "cp1", startedAt: 100, idTag: "TAG", updatedAt: 100)),
                            .event(EventRecord(at: 100, kind: "service-started"))])
        let reopened = try ChargeDatabase(path: path)
        #expect(try reopened.openSessions().map(\.charger) == ["cp1"])
        #expect(try reopened.count(of: "event") == 1)
        let mode = try DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func aDatabaseFromBeforeTheSchemaIsMigratedAndAForeignOneIsRefusedReadOnly() throws {
        // a file SQLite knows but without our tables (an empty database): the migrator creates them
        let path = Self.temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE unrelated(x)") }
        #expect(throws: StorageError.self) { try ChargeDatabase(path: path, readOnly: true) }   // an export does not migrate
        let database = try ChargeDatabase(path: path)
        #expect(try database.sessions().isEmpty)
        #expect(try ChargeDatabase(path: path, readOnly: true).sessions().isEmpty)
        #expect(throws: StorageError.self) { try ChargeDatabase(path: Self.temporaryPath(), readOnly: true) }   // missing file
        try "not a database".write(toFile: path + "-x", atomically: true, encoding: .utf8)
        #expect(throws: StorageError.self) { try ChargeDatabase(path: path + "-x") }
    }

    @Test func aDatabaseOfTheLastVersionGainsTheChargingDataRecordColumnsAndKeepsItsSessions() throws {
        let path = Self.temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(old, upTo: "v2: the charger's meter readings and serial per session")
        try old.write { db in
            try db.execute(sql: "INSERT INTO session(charger, started_at, updated_at, energy_wh) VALUES ('cp1', 100, 200, 1500)")
        }
        try old.close()
        let database = try ChargeDatabase(path: path)
        let kept = try #require(try database.sessions().first)
        #expect(kept.energyWh == 1500 && kept.connector == 1 && kept.chargeType == "free" && kept.comment == "" && kept.stationName == "")
        // the new columns are written and read back
        var record = SessionRecord(charger: "cp2", startedAt: 300, updatedAt: 300)
        record.connector = 2
        record.stationName = "Carport"
        try database.apply([.open(record)])
        record.chargeType = SessionRecord.ChargeType.badge
        record.effectiveChargeSeconds = 42
        record.comment = "began 40 s before the bridge saw it"
        record.chargerTransaction = "4711"
        try database.apply([.update(record)])
        let back = try #require(try database.openSessions().first { $0.charger == "cp2" })
        #expect(back.connector == 2 && back.stationName == "Carport" && back.chargeType == "badge" && back.effectiveChargeSeconds == 42)
        #expect(back.comment == "began 40 s before the bridge saw it" && back.chargerTransaction == "4711")
        // a session opened over one still open: the old one is closed and says why
        try database.apply([.open(SessionRecord(charger: "cp2", startedAt: 400, updatedAt: 400))])
        let superseded = try #require(try database.sessions().first { $0.charger == "cp2" && $0.endReason == "superseded" })
        #expect(superseded.comment == "began 40 s before the bridge saw it; a new session began on this charger before this one was seen to end",
                "\(superseded.comment)")
    }

    @Test func aChargerHasAtMostOneOpenSessionAndUpdatesReachOnlyIt() throws {
        let database = try ChargeDatabase(path: Self.temporaryPath())
        try database.apply([.open(SessionRecord(charger: "cp1", startedAt: 10, updatedAt: 10)),
                            .open(SessionRecord(charger: "cp2", startedAt: 12, updatedAt: 12))])
        var update = SessionRecord(charger: "cp1", startedAt: 10, energyWh: 1500, idTag: "A", maxCurrent: 16,
                                   periodEnergy: ["peak": 1000, "standard": 500], updatedAt: 70)
        try database.apply([.update(update)])
        // a new session of cp1 while one is open: the old one is closed as superseded at its last checkpoint
        try database.apply([.open(SessionRecord(charger: "cp1", startedAt: 80, updatedAt: 80))])
        let sessions = try database.sessions()
        #expect(sessions.count == 3)
        #expect(sessions[0].endedAt == 70 && sessions[0].endReason == "superseded" && sessions[0].energyWh == 1500)
        #expect(sessions[0].periodEnergy == ["peak": 1000, "standard": 500])
        #expect(try database.openSessions().map(\.startedAt) == [80, 12])
        update.startedAt = 80
        update.endedAt = 90
        update.endReason = "unplugged"
        try database.apply([.update(update)])
        #expect(try database.openSessions().map(\.charger) == ["cp2"])
        #expect(try database.sessions(from: 11, to: 81).map(\.startedAt) == [12, 80])
    }

    @Test func aFailedBatchWritesNothing() throws {
        let path = Self.temporaryPath()
        let database = try ChargeDatabase(path: path)
        try database.apply([.open(SessionRecord(charger: "cp1", startedAt: 10, updatedAt: 10))])
        let readOnly = try ChargeDatabase(path: path, readOnly: true)
        #expect(throws: StorageError.self) {
            try readOnly.apply([.event(EventRecord(at: 1, kind: "x")), .open(SessionRecord(charger: "cp9", startedAt: 1, updatedAt: 1))])
        }
        #expect(try database.count(of: "event") == 0)
        #expect(try database.count(of: "session") == 1)
    }

    @Test func eventsOlderThanTheRetentionArePrunedAndSessionsStay() throws {
        let database = try ChargeDatabase(path: Self.temporaryPath())
        let day = 86_400.0, now = 1_800_000_000.0
        try database.apply([.open(SessionRecord(charger: "cp1", startedAt: now - 90 * day, updatedAt: now - 90 * day))] + [40, 31, 29, 1].map {
            .event(EventRecord(at: now - $0 * day, kind: "meter-lost", subject: "grid"))
        })
        #expect(try database.pruneEvents(before: now - 30 * day) == 2)
        #expect(try database.events().map { ($0.at - now) / day } == [-29, -1])
        #expect(try database.events(kind: "meter-lost").count == 2)
        #expect(try database.events(kind: "failsafe-entered").isEmpty)
        #expect(try database.count(of: "session") == 1)
    }

    @Test func settingsAreReplacedWhole() throws {
        let database = try ChargeDatabase(path: Self.temporaryPath())
        #expect(try database.setting("runtime") == nil)
        try database.setSetting("runtime", "{\"a\":1}", at: 1)
        try database.setSetting("runtime", "{\"a\":2}", at: 2)
        #expect(try database.setting("runtime") == "{\"a\":2}")
        #expect(try database.count(of: "setting") == 1)
    }

    @Test func theProfileWayIsRememberedPerChargerAcrossOpens() throws {
        let path = Self.temporaryPath()
        let database = try ChargeDatabase(path: path)
        #expect(try database.profileWay(charger: "cp1") == nil)
        try database.apply([ChargeDatabase.rememberProfileWay("charge_point_max", charger: "cp1", at: 1),
                            ChargeDatabase.rememberProfileWay("tx_profile", charger: "cp2", at: 1)])
        try database.apply([ChargeDatabase.rememberProfileWay("tx_profile", charger: "cp1", at: 2)])
        let reopened = try ChargeDatabase(path: path)
        #expect(try reopened.profileWay(charger: "cp1") == "tx_profile")
        #expect(try reopened.profileWay(charger: "cp2") == "tx_profile")
        #expect(try reopened.profileWay(charger: "cp3") == nil)
        // the operator's runtime settings are another key: untouched
        #expect(try reopened.setting("runtime") == nil)
    }
}
