import Foundation
import Testing

/// Every charger as an EVC08 Modbus TCP slave, driven by real clients (pymodbus, mbpoll).
@Suite("Northbound Modbus slave")
struct NorthboundModbusTests {
    static let evCharger = """
          - id: test
            min_current: 6
            max_current: 16
            failsafe_current: 6
            failsafe_timeout_s: 20
            modbus: { port: PORT0 }
            identity: { serial: "CB-TEST-42", brand: "chargebridge", model: "EVC08", firmware: "1.2.3" }
            simulation:
              evs:
                - { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 80, soc: 0.2 }

        """

    @Test func anEnergyManagerDrivesTheChargerAndTheFailsafeHolds() throws {
        let bridge = try BridgeProcess.start(chargers: Self.evCharger, count: 1)
        defer { bridge.process.stop() }
        let result = try runCommand(try TestEnvironment.python, [TestEnvironment.peer("ems_client.py"), "--port", "\(bridge.ports[0])"],
                                    timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
        let out = try parseReading(result.stdout)
        // identity and status
        #expect(out["serial"] as? String == "CB-TEST-42")
        #expect(out["brand"] as? String == "chargebridge")
        #expect(out["model"] as? String == "EVC08")
        #expect(out["firmware"] as? String == "1.2.3")
        #expect(out["charge_point_state"] as? Int == 2)          // Charging (at the failsafe current)
        #expect(out["cable_state"] as? Int == 3)
        #expect(out["min_current"] as? Int == 6 && out["max_current"] as? Int == 16)
        #expect(out["phases"] as? Int == 1)                      // three-phase
        // the simulated EV follows the EMS: 12 A, pause, 10 A
        let follow12 = try #require(out["follow_12"] as? [Double])
        #expect(follow12.last == 12 && follow12.allSatisfy { $0 <= 12 })
        let pause = try #require(out["follow_pause"] as? [Double])
        #expect(pause.last == 0)
        let follow10 = try #require(out["follow_10"] as? [Double])
        #expect(follow10.last == 10)
        // bad requests
        #expect(out["unknown_address_exception"] as? Int == 2)
        #expect(out["out_of_range_exception"] as? Int == 3)
        #expect(out["charging_current_after_bad_write"] as? Int == 10)
        #expect(out["failsafe_registers"] as? [Int] == [8, 0, 3])
        // silence: socket closed within timeout (3 s) + 1 s, then the failsafe current (8 A)
        let closedAfter = try #require(out["closed_after_s"] as? Double, "the bridge never closed the silent master")
        #expect(closedAfter <= 4.0)
        let afterFailsafe = try #require(out["after_failsafe"] as? [Double])
        #expect(afterFailsafe.last == 8)
        // the newest master wins
        #expect(out["first_closed_by_second"] as? Bool == true)
        #expect((out["second_follow_14"] as? [Double])?.last == 14)
        #expect(bridge.process.text.contains("previous master's socket was closed"))
        #expect(bridge.process.text.contains("failsafe entered"))
    }

    @Test func mbpollReadsInputRegistersAndWritesTheChargingCurrent() throws {
        let bridge = try BridgeProcess.start(chargers: Self.evCharger, count: 1)
        defer { bridge.process.stop() }
        let mbpoll = try TestEnvironment.tool("mbpoll")
        let port = "\(bridge.ports[0])"
        let status = try runCommand(mbpoll, ["-m", "tcp", "-p", port, "-a", "255", "-0", "-r", "1000", "-c", "20", "-t", "3", "-1", "127.0.0.1"])
        #expect(status.status == 0, "\(status.stdout)")
        #expect(status.stdout.contains("[1000]: \t2"))         // charging
        #expect(status.stdout.contains("[1004]: \t3"))         // vehicle connected and locked
        #expect(status.stdout.contains("[1014]: \t230"))       // voltage L1
        let write = try runCommand(mbpoll, ["-m", "tcp", "-p", port, "-a", "255", "-0", "-r", "5004", "-t", "4", "-1", "127.0.0.1", "7"])
        #expect(write.status == 0 && write.stdout.contains("Written 1 references"), "\(write.stdout)")
        let readBack = try runCommand(mbpoll, ["-m", "tcp", "-p", port, "-a", "255", "-0", "-r", "5004", "-t", "4", "-1", "127.0.0.1"])
        #expect(readBack.stdout.contains("[5004]: \t7"))
        let refused = try runCommand(mbpoll, ["-m", "tcp", "-p", port, "-a", "255", "-0", "-r", "5004", "-t", "4", "-1", "127.0.0.1", "40"])
        #expect((refused.stdout + refused.stderr).contains("Illegal data value"))
        let unchanged = try runCommand(mbpoll, ["-m", "tcp", "-p", port, "-a", "255", "-0", "-r", "5004", "-t", "4", "-1", "127.0.0.1"])
        #expect(unchanged.stdout.contains("[5004]: \t7"))
    }

    @Test func tenThousandMalformedFramesStallNoOtherListener() throws {
        let bridge = try BridgeProcess.start(chargers: """
              - { id: a, max_current: 16, modbus: { port: PORT0 } }
              - { id: b, max_current: 16, modbus: { port: PORT1 } }

            """, count: 2)
        defer { bridge.process.stop() }
        let result = try runCommand(try TestEnvironment.python, [TestEnvironment.peer("fuzz_frames.py"), "--fuzz-port", "\(bridge.ports[0])",
                                                                 "--good-port", "\(bridge.ports[1])", "--frames", "10000"], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stderr)")
        let out = try parseReading(result.stdout)
        #expect(out["frames_sent"] as? Int == 10000)
        #expect(out["good_errors"] as? Int == 0)
        #expect((out["good_polls"] as? Int ?? 0) > 10)
        print("fuzzing beside a good client: \(out)")
        #expect((out["good_max_latency_ms"] as? Double ?? 1e9) < 500 + 1000 * TestEnvironment.patience)
        // the slow client is dropped by the 0.5 s frame timeout, not sooner
        #expect((out["slow_client_dropped_after_s"] as? Double ?? 99) >= 0.45)
        #expect((out["slow_client_dropped_after_s"] as? Double ?? 99) <= 1.5 + TestEnvironment.patience)
        #expect(out["exception_unknown_address"] as? Int == 2)
        #expect(out["exception_bad_value"] as? Int == 3)
        #expect(out["exception_bad_function"] as? Int == 1)
        #expect(out["exception_bad_count"] as? Int == 3)
        #expect(out["fuzz_listener_still_answers"] as? Bool == true)
        #expect(bridge.process.isRunning)
    }

    @Test func gatewayModeServesEveryChargerByUnitId() throws {
        let port = try TestEnvironment.freePort()
        let bridge = try BridgeProcess.start(chargers: """
              - { id: a, max_current: 16, failsafe_current: 6, modbus: { unit: 1 } }
              - { id: b, max_current: 32, failsafe_current: 10, modbus: { unit: 2 } }

            """, count: 0, modbus: "mode: gateway, bind: 127.0.0.1, port: \(port)")
        defer { bridge.process.stop() }
        try bridge.process.waitFor(":\(port) unit 2")
        let mbpoll = try TestEnvironment.tool("mbpoll")
        let a = try runCommand(mbpoll, ["-m", "tcp", "-p", "\(port)", "-a", "1", "-0", "-r", "1104", "-t", "3", "-1", "127.0.0.1"])
        let b = try runCommand(mbpoll, ["-m", "tcp", "-p", "\(port)", "-a", "2", "-0", "-r", "1104", "-t", "3", "-1", "127.0.0.1"])
        #expect(a.stdout.contains("[1104]: \t16") && b.stdout.contains("[1104]: \t32"), "\(a.stdout) \(b.stdout)")
        let unknown = try runCommand(mbpoll, ["-m", "tcp", "-p", "\(port)", "-a", "9", "-0", "-r", "1104", "-t", "3", "-1", "127.0.0.1"])
        #expect((unknown.stdout + unknown.stderr).lowercased().contains("target device failed to respond"))   // exception 0B
    }

    /// An empty or malformed network in allow_write once crashed both commands (index out of range).
    @Test func invalidAllowWriteIsAnErrorAtItsLineNotACrash() throws {
        let folder = try TestEnvironment.temporaryFolder()
        for (index, item) in ["\"\"", "\"/\"", "1.2.3.4/33", "\"::1/129\""].enumerated() {
            let file = folder.appendingPathComponent("allow\(index).yaml")
            try "modbus: { mode: gateway, bind: 0.0.0.0, port: 1502,\n  allow_write: [\(item)] }\nchargers:\n  - { id: a, max_current: 16 }\n"
                .write(to: file, atomically: true, encoding: .utf8)
            for command in ["check-config", "run"] {
                let result = try runCommand(try TestEnvironment.chargebridge, [command, "--config", file.path])
                #expect(result.status == 1, "\(command) \(item): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains("allow\(index).yaml:2: modbus.allow_write[0]: "), "\(command) \(item): \(result.stderr)")
                #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
            }
        }
    }

    @Test func unsafeConfigurationsRefuseToStartAndSigtermStopsGracefully() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let unsafe = folder.appendingPathComponent("unsafe.yaml")
        try "chargers:\n  - id: a\n    max_current: 16\n    failsafe_current: 20\n    modbus: { port: 1502 }\n".write(to: unsafe, atomically: true, encoding: .utf8)
        for command in ["check-config", "run"] {
            let result = try runCommand(try TestEnvironment.chargebridge, [command, "--config", unsafe.path])
            #expect(result.status != 0)
            #expect(result.stderr.contains("unsafe.yaml:4: chargers[0].failsafe_current: unsafe: failsafe current 20 A is above the charger's maximum 16 A"),
                    "\(result.stderr)")
        }
        let bridge = try BridgeProcess.start(chargers: "  - { id: a, max_current: 16, modbus: { port: PORT0 } }\n", count: 1, logLevel: "info")
        // check-config = run: a port another process holds is found before `run` is tried (an
        // error; with --while-running a warning: it may be this very service, about to restart)
        let taken = folder.appendingPathComponent("taken.yaml"), free = try TestEnvironment.freePort()
        try "modbus: { bind: 127.0.0.1 }\nchargers:\n  - { id: a, max_current: 16, modbus: { port: \(bridge.ports[0]) } }\n  - { id: b, max_current: 16, modbus: { port: \(free) } }\n"
            .write(to: taken, atomically: true, encoding: .utf8)
        let strict = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", taken.path])
        #expect(strict.status != 0 && strict.stderr.contains("error: the Vestel"), "\(strict.stderr)")
        let check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", taken.path, "--while-running"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.contains("warning: the Vestel EVC04/EVC08 face of a: connection failed: cannot listen on 127.0.0.1:\(bridge.ports[0]): Address already in use"),
                "\(check.stderr)")
        #expect(!check.stderr.contains("slave of b"), "\(check.stderr)")
        bridge.process.child.signal(SIGTERM)
        bridge.process.child.waitUntilExit()
        #expect(bridge.process.child.terminationStatus == 0)
        #expect(bridge.process.text.contains("stopped"))
    }
}
