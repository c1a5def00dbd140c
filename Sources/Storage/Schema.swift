import StorageModel
import GRDB

/// The database schema, as migrations: a database of any earlier version is brought up to date
/// at start, in one transaction per migration.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sessions, events, settings") { db in
            try db.create(table: "session") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("charger", .text).notNull()
                t.column("started_at", .double).notNull()
                t.column("ended_at", .double)
                t.column("energy_wh", .double).notNull().defaults(to: 0)
                t.column("id_tag", .text).notNull().defaults(to: "")
                t.column("max_current", .double).notNull().defaults(to: 0)
                t.column("period_energy", .text).notNull().defaults(to: "{}")
                t.column("updated_at", .double).notNull()
                t.column("end_reason", .text)
            }
            try db.create(index: "session_by_start", on: "session", columns: ["started_at"])
            // at most one open session per charger
            try db.execute(sql: "CREATE UNIQUE INDEX session_open ON session(charger) WHERE ended_at IS NULL")
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .double).notNull()
                t.column("kind", .text).notNull()
                t.column("subject", .text).notNull().defaults(to: "")
                t.column("detail", .text).notNull().defaults(to: "")
            }
            try db.create(index: "event_by_time", on: "event", columns: ["at"])
            try db.create(table: "setting") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
                t.column("updated_at", .double).notNull()
            }
        }
        migrator.registerMigration("v2: the charger's meter readings and serial per session") { db in
            try db.alter(table: "session") { t in
                t.add(column: "meter_start_wh", .double)
                t.add(column: "meter_end_wh", .double)
                t.add(column: "charger_serial", .text).notNull().defaults(to: "")
            }
        }
        migrator.registerMigration("v3: charging data record columns") { db in
            try db.alter(table: "session") { t in
                t.add(column: "connector", .integer).notNull().defaults(to: 1)
                t.add(column: "station_name", .text).notNull().defaults(to: "")
                t.add(column: "charge_type", .text).notNull().defaults(to: "free")
                t.add(column: "effective_charge_s", .double).notNull().defaults(to: 0)
                t.add(column: "comment", .text).notNull().defaults(to: "")
                t.add(column: "charger_transaction", .text).notNull().defaults(to: "")
            }
        }
        migrator.registerMigration("v4: the CPO uplink's journal, transaction ids and kept state") { db in
            // transaction messages waiting for the backend's answer, per charger in seq order
            try db.create(table: "uplink_message") { t in
                t.column("charger", .text).notNull()
                t.column("seq", .integer).notNull()
                t.column("tx", .integer).notNull()
                t.column("action", .text).notNull()
                t.column("payload", .text).notNull()
                t.primaryKey(["charger", "seq"])
            }
            try db.create(table: "uplink_transaction") { t in
                t.column("charger", .text).notNull()
                t.column("tx", .integer).notNull()
                t.column("remote_id", .integer).notNull()
                t.primaryKey(["charger", "tx"])
            }
            try db.create(table: "uplink_state") { t in
                t.column("charger", .text).notNull()
                t.column("key", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["charger", "key"])
            }
        }
        return migrator
    }
}
