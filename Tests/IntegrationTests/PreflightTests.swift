import Foundation
import Testing

/// check-config gives the verdict `run` gives: each configuration below is passed by both or
/// refused by both, with the same reason; warnings are printed by both.
@Suite("check-config = run")
struct PreflightTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        /// The configuration; PORT1…PORT3 and FOLDER are filled in per run.
        let yaml: String
        /// nil: both accept; else what both say when they refuse.
        let refusal: String?
        var warning: String?
        var testDescription: String { name }
    }

    static let charger = "{ id: cp1, max_current: 16, failsafe_current: 6, modbus: { port: PORT1 } }"

    static let cases: [Case] = [
        Case(name: "a valid site", yaml: "chargers:\n  - \(charger)\n", refusal: nil),
        Case(name: "the gateway and OCPP on one port",
             yaml: "modbus: { mode: gateway, bind: 127.0.0.1, port: PORT1 }\nocpp: { bind: localhost, port: PORT1 }\nchargers:\n  - { id: cp1, max_current: 16, failsafe_current: 6, driver: ocpp, ocpp: { password: secret-pass-1 }, modbus: { unit: 1 } }\n",
             refusal: "are one address and port"),
        Case(name: "HTTP and a charger on one port (localhost and 127.0.0.1)",
             yaml: "modbus: { bind: 127.0.0.1 }\nhttp: { bind: localhost, port: PORT1 }\nchargers:\n  - \(charger)\n",
             refusal: "are one address and port"),
        Case(name: "two chargers on one port (127.0.0.1 and localhost)",
             yaml: "chargers:\n  - \(charger)\n  - { id: cp2, max_current: 16, failsafe_current: 6, modbus: { bind: localhost, port: PORT1 } }\n",
             refusal: "are one address and port"),
        Case(name: "a data folder that cannot be made", yaml: "storage: { data_dir: /proc/nope/dir }\nchargers:\n  - \(charger)\n",
             refusal: "storage.data_dir"),
        Case(name: "a data folder that is a file", yaml: "storage: { data_dir: FOLDER/file }\nchargers:\n  - \(charger)\n",
             refusal: "is not a folder"),
        Case(name: "a bind name that does not resolve", yaml: "modbus: { bind: no-such-host.invalid, allow_write: any }\nchargers:\n  - \(charger)\n",
             refusal: "cannot resolve"),
        Case(name: "a bind address not on this machine", yaml: "modbus: { bind: 192.0.2.1, allow_write: any }\nchargers:\n  - \(charger)\n",
             refusal: "cannot listen on 192.0.2.1"),
        Case(name: "a port someone holds", yaml: "chargers:\n  - { id: cp1, max_current: 16, failsafe_current: 6, modbus: { port: PORT3 } }\n",
             refusal: "Address already in use"),
        Case(name: "sun-only without a grid meter", yaml: "chargers:\n  - { id: cp1, max_current: 16, failsafe_current: 6, mode: sun-only, modbus: { port: PORT1 } }\n",
             refusal: "set site.grid_meter"),
        Case(name: "sun-only with a PV meter and no grid meter",
             yaml: "meters:\n  - { id: roof, role: pv, map: sunspec, tcp: \"127.0.0.1:PORT3\" }\nchargers:\n  - { id: cp1, max_current: 16, failsafe_current: 6, mode: sun-only, modbus: { port: PORT1 } }\n",
             refusal: nil),
        Case(name: "two grid meters",
             yaml: "site: { grid_meter: a }\nmeters:\n  - { id: a, map: pac2200, tcp: \"127.0.0.1:PORT3\" }\n  - { id: b, role: grid, map: pac2200, tcp: \"127.0.0.1:PORT3\" }\nchargers:\n  - \(charger)\n",
             refusal: "chargebridge.yaml:4: meters[1]: meter b: a second grid meter"),
        Case(name: "a meter no loop uses, on a serial device not present",
             yaml: "meters:\n  - { id: pv, map: eastron-sdm630, rtu: { device: /dev/ttyNOPE0, baud: 9600 }, unit: 1 }\nchargers:\n  - \(charger)\n",
             refusal: nil, warning: "no loop uses it"),
    ]

    @Test(arguments: cases) func checkConfigAndRunAgree(_ testCase: Case) throws {
        let folder = try TestEnvironment.temporaryFolder()
        try Data().write(to: folder.appendingPathComponent("file"))
        // PORT3 is held by a listener of the test's own while both commands look at it
        let held = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(held) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(held, $0, length) == 0, listen(held, 1) == 0, getsockname(held, $0, &length) == 0 else { throw TestFailure("cannot hold a port") }
            }
        }
        let yaml = try testCase.yaml.replacingOccurrences(of: "PORT1", with: "\(TestEnvironment.freePort())")
            .replacingOccurrences(of: "PORT3", with: "\(UInt16(bigEndian: address.sin_port))")
            .replacingOccurrences(of: "FOLDER", with: folder.path)
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)

        let check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path])
        let run = try runCommand(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--duration", "1"])
        if let refusal = testCase.refusal {
            #expect(check.status != 0 && check.stderr.contains(refusal), "check-config: \(check.status) \(check.stdout) \(check.stderr)")
            #expect(run.status != 0 && run.stderr.contains(refusal), "run: \(run.status) \(run.stderr)")
            #expect(!check.stderr.contains("Fatal error") && !run.stderr.contains("Fatal error"))
        } else {
            #expect(check.status == 0, "check-config: \(check.stdout) \(check.stderr)")
            #expect(run.status == 0, "run: \(run.stderr)")
        }
        if let warning = testCase.warning {
            #expect(check.stderr.contains(warning), "check-config: \(check.stderr)")
            #expect(run.stderr.contains(warning), "run: \(run.stderr)")
        }
        // the trial of the data folder leaves nothing behind
        #expect(!FileManager.default.fileExists(atPath: "/proc/nope"))
    }

    @Test func whileRunningAPortInUseIsOnlyAWarning() throws {
        let port = try TestEnvironment.freePort()
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("chargebridge.yaml")
        try "chargers:\n  - { id: cp1, max_current: 16, failsafe_current: 6, modbus: { port: \(port) } }\n".write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--log-level", "info"])
        defer { bridge.stop() }
        try bridge.waitFor("serving")
        let strict = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path])
        #expect(strict.status != 0 && strict.stderr.contains("Address already in use"), "\(strict.stderr)")
        let lenient = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path, "--while-running"])
        #expect(lenient.status == 0 && lenient.stderr.contains("warning:") && lenient.stderr.contains("running service"), "\(lenient.stderr)")
    }
}
