import Foundation
import Testing

/// The service and systemd: READY=1 once serving, WATCHDOG=1 from the control loop at half of
/// WatchdogSec, STOPPING=1 at SIGTERM; the unit hardened; `--version`.
@Suite("systemd integration")
struct SystemdTests {
    @Test func readyWatchdogAndStoppingReachTheNotifySocket() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let path = folder.appendingPathComponent("notify").path
        let socket = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("notify_socket.py"), "--path", path, "--seconds", "20"])
        defer { socket.stop() }
        try socket.waitFor("ready")
        let port = try TestEnvironment.freePort()
        let file = folder.appendingPathComponent("site.yaml")
        try """
            modbus: { bind: 127.0.0.1 }
            chargers:
              - { id: cp, max_current: 16, modbus: { port: \(port) } }
            """.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path],
                                        environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"])
        try bridge.waitFor(":\(port)")
        try socket.waitFor("READY=1", timeout: .seconds(10))
        Thread.sleep(forTimeInterval: 4)
        bridge.stop()
        Thread.sleep(forTimeInterval: 0.5)
        let messages = socket.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .compactMap { $0["message"] as? String }
        #expect(messages.first == "READY=1", "\(messages)")
        let watchdogs = messages.filter { $0 == "WATCHDOG=1" }.count
        #expect((3...6).contains(watchdogs), "\(watchdogs) watchdog messages in ~4 s at a 1 s interval")
        #expect(messages.contains("STOPPING=1"))
    }

    @Test func theUnitIsHardenedAndTheVersionIsShown() throws {
        let unit = TestEnvironment.root.appendingPathComponent("etc/chargebridge.service").path
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let result = try runCommand("/usr/bin/systemd-analyze", ["security", "--offline=true", unit])
            let line = try #require(result.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }, "\(result.stdout) \(result.stderr)")
            let score = try #require(Double(line.split(separator: ":").last!.split(separator: " ").first!))
            #expect(score <= 2.5, "\(line)")
        }
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(text.contains("Type=notify") && text.contains("WatchdogSec=") && text.contains("DeviceAllow=char-ttyUSB rw"))
        #expect(text.contains("DeviceAllow=char-pts rw"), "socat links to remote meters are pseudo-terminals")
        let version = try runCommand(try TestEnvironment.chargebridge, ["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("chargebridge "))
    }
}
