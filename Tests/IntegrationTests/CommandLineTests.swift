import Foundation
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
        #expect(maps.stdout.contains("pac2200.yaml") && maps.stdout.contains("Siemens"))
        let ports = try runCommand(try TestEnvironment.chargebridge, ["ports"])
        #expect(ports.status == 0)
        #expect(!ports.stdout.isEmpty)
    }

    @Test func usageErrorsExitNonZero() throws {
        let neither = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "pac2200"])
        #expect(neither.status != 0 && neither.stderr.contains("exactly one of --tcp"))
        let unknown = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "nope", "--tcp", "127.0.0.1:1"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no register map \"nope\""))
    }
}
