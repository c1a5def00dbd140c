import StorageModel
import Foundation
import Storage
import Testing

@Suite("Command line")
struct CommandLineTests {
    func badMap(_ body: String) throws -> CommandResult {
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("bad.yaml")
        try ("name: Bad\nvendor: X\nmodels: []\nsources: [test]\nquantities:\n" + body).write(to: file, atomically: true, encoding: .utf8)
        return try runCommand(try TestEnvironment.chargebridge, ["read", "--map", file.path, "--tcp", "127.0.0.1:1"])
    }

    /// The scenario runner as installers run it (a debug build once overflowed the async thread's stack).
    @Test func simulateRunsAShippedScenarioWithZonesAsJSON() throws {
        let file = TestEnvironment.root.appendingPathComponent("etc/scenarios/car-park-zones.yaml").path
        let result = try runCommand(try TestEnvironment.chargebridge, ["simulate", "--scenario", file, "--report", "json", "--tick-interval", "3600"],
                                    timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["setpoint_violations"] as? Int == 0)
        let ticks = try #require(json["ticks"] as? [[String: Any]])
        #expect((ticks.first?["zones"] as? [[String: Any]])?.count == 4)
    }

    @Test func badMapsAreRejectedWithFileLineAndField() throws {
        let unknownType = try badMap("  current.l1: { address: 1, type: u33, unit: A }\n")
        #expect(unknownType.status != 0)
        #expect(unknownType.stderr.contains("bad.yaml:6: quantities.current.l1.type: unknown type \"u33\""), "\(unknownType.stderr)")
        let overlap = try badMap("  current.l1: { address: 1, type: f32, unit: A }\n  current.l2: { address: 2, type: f32, unit: A }\n")
        #expect(overlap.status != 0)
        #expect(overlap.stderr.contains("bad.yaml:7: quantities.current.l2: registers 2…3 overlap current.l1"), "\(overlap.stderr)")
        let outOfRange = try badMap("  current.l1: { address: 70000, type: f32, unit: A }\n")
        #expect(outOfRange.status != 0 && outOfRange.stderr.contains("out of range"))
        let missing = try badMap("  current.l1: { type: f32, unit: A }\n")
        #expect(missing.status != 0 && missing.stderr.contains("quantities.current.l1.address: missing required field"))
    }

    @Test func mapsListsEveryMapAndPortsRuns() throws {
        let maps = try runCommand(try TestEnvironment.chargebridge, ["maps"])
        #expect(maps.status == 0, "\(maps.stderr)")
        #expect(maps.stdout.split(separator: "\n").count >= 14)
        #expect(maps.stdout.contains("  pac2200 ") && maps.stdout.contains("Siemens"))
        // chargers by the name --map takes, with their setpoint and watchdog
        let chargers = maps.stdout.components(separatedBy: "Meters (")[0]
        #expect(chargers.contains("  vestel-evc04 ") && chargers.contains("setpoint ems.charging_current in A 6…32"))
        #expect(chargers.contains("watchdog: ems.alive written"))
        let ports = try runCommand(try TestEnvironment.chargebridge, ["ports"])
        #expect(ports.status == 0)
        #expect(!ports.stdout.isEmpty)
    }

    @Test func usageErrorsExitNonZero() throws {
        let neither = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "pac2200"])
        #expect(neither.status != 0 && neither.stderr.contains("exactly one of --tcp"))
        let unknown = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "nope", "--tcp", "127.0.0.1:1"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no register map \"nope\""))
        let near = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "pac220", "--tcp", "127.0.0.1:1"])
        #expect(near.status != 0 && near.stderr.contains("no register map \"pac220\" (a file or a name listed by `chargebridge maps`); did you mean \"pac2200\"?"),
                "\(near.stderr)")
    }

    /// Port 1 on the loopback: nothing listens, so the connect is refused at once.
    @Test func aRefusedConnectionSaysNothingListens() throws {
        let refused = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "pac2200", "--tcp", "127.0.0.1:1"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("connection refused by 127.0.0.1:1 (nothing listens on that port?)"), "\(refused.stderr)")
    }
}

@Suite("Command line: logs and sessions")
struct ServiceCommandLineTests {
    @Test func jsonLogsAreOneObjectPerLineWithFields() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let port = try TestEnvironment.freePort()
        let file = folder.appendingPathComponent("c.yaml")
        try """
            modbus: { bind: 127.0.0.1 }
            storage: { data_dir: \(folder.appendingPathComponent("data").path) }
            chargers: [ { id: cp1, modbus: { port: \(port) }, simulation: { evs: [ { arrive_s: 0, leave_s: 1, phases: 3, max_current: 16, capacity_kwh: 50, soc: 0.5, id_tag: "A,1" } ] } } ]
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try runCommand(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--duration", "3", "--log-format", "json", "--log-level", "info"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(object["level"] != nil && object["message"] != nil && object["time"] != nil)
        }
        #expect(lines.contains { $0.contains("\"site\":\"chargebridge\"") })
        let events = try ChargeDatabase(path: folder.appendingPathComponent("data/chargebridge.sqlite").path, readOnly: true).events()
        #expect(events.first?.kind == "service-started" && events.last?.kind == "service-stopped", "\(events.map(\.kind))")
        #expect(events.contains { $0.kind == "configuration-loaded" && $0.detail.hasPrefix("first start") })

        // what it recorded: the session (closed, its id tag quoted) and the start/stop events
        let csv = try runCommand(try TestEnvironment.chargebridge, ["sessions", "--config", file.path, "--csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.first?.hasPrefix("charger,start,end,duration_s,energy_wh,id_tag,max_current_a,end_reason,meter_start_wh,meter_end_wh,charger_serial,"
            + "transaction,connector,station_name,charge_type,effective_charge_s,comment,charger_transaction,energy_wh_standard") == true, "\(csv.stdout)")
        #expect(rows.count == 2 && rows[1].contains(",\"A,1\",") && rows[1].contains("unplugged"), "\(csv.stdout)")
        #expect(rows.count == 2 && rows[1].contains(",1,1,cp1,badge,"), "transaction 1, connector 1, the station, a badge charge: \(csv.stdout)")
        let table = try runCommand(try TestEnvironment.chargebridge, ["sessions", "--config", file.path, "--from", "2000-01-01", "--to", "2000-01-02"])
        #expect(table.stdout.contains("no sessions"))
        let bad = try runCommand(try TestEnvironment.chargebridge, ["sessions", "--config", file.path, "--from", "yesterday"])
        #expect(bad.status != 0 && bad.stderr.contains("is not a date"))
        // filters by charger and id tag, with the totals
        let mine = try runCommand(try TestEnvironment.chargebridge, ["sessions", "--config", file.path, "--charger", "cp1", "--tag", "A,1"])
        #expect(mine.stdout.contains("1 session(s),"), "\(mine.stdout)")
        let other = try runCommand(try TestEnvironment.chargebridge, ["sessions", "--config", file.path, "--tag", "B"])
        #expect(other.stdout.contains("no sessions"))

        // the event log: table, JSON, by kind, since a time and a duration
        let log = try runCommand(try TestEnvironment.chargebridge, ["events", "--config", file.path])
        #expect(log.status == 0 && log.stdout.contains("service-started") && log.stdout.contains("service-stopped"), "\(log.stdout) \(log.stderr)")
        let json = try runCommand(try TestEnvironment.chargebridge, ["events", "--config", file.path, "--kind", "service-stopped", "--since", "1h", "--json"])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]], "\(json.stdout)")
        #expect(objects.count == 1 && objects[0]["kind"] == "service-stopped" && objects[0]["time"] != nil, "\(objects)")
        // either spelling of a kind; an unknown kind is an error naming the kinds, never "no events"
        let underscored = try runCommand(try TestEnvironment.chargebridge, ["events", "--config", file.path, "--kind", "service_started", "--since", "yesterday"])
        #expect(underscored.status == 0 && underscored.stdout.contains("service-started") && !underscored.stdout.contains("service-stopped"),
                "\(underscored.stdout) \(underscored.stderr)")
        let typo = try runCommand(try TestEnvironment.chargebridge, ["events", "--config", file.path, "--kind", "service-stoped"])
        #expect(typo.status != 0 && typo.stderr.contains("--kind: unknown event kind \"service-stoped\" (kinds: service-started, service-stopped,"), "\(typo.stderr)")
        #expect(typo.stderr.contains("g100-limit-restored); did you mean \"service-stopped\"?"), "\(typo.stderr)")
        let vague = try runCommand(try TestEnvironment.chargebridge, ["events", "--config", file.path, "--since", "last week"])
        #expect(vague.status != 0 && vague.stderr.contains(
            "--since: \"last week\" is neither a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM), today, yesterday, nor a time ago (30m, 12h, 7d)"), "\(vague.stderr)")
        let old = try runCommand(try TestEnvironment.chargebridge, ["events", "--config", file.path, "--since", "2000-01-01", "--charger", "nobody"])
        #expect(old.stdout.contains("no events"))
        let wrong = try runCommand(try TestEnvironment.chargebridge, ["events", "--database", "/nonexistent.sqlite"])
        #expect(wrong.status != 0 && wrong.stderr.contains("no such database"), "\(wrong.stderr)")
    }
}
