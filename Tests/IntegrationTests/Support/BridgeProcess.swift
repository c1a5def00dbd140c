import Foundation

/// `chargebridge run` with a configuration written for the test, on free loopback ports.
struct BridgeProcess {
    let process: ManagedProcess
    let ports: [Int]

    /// `chargers` is YAML for the list items, with `PORT0`, `PORT1`, … standing for free ports.
    static func start(chargers: String, count: Int, modbus: String = "bind: 127.0.0.1, frame_timeout_ms: 500",
                      logLevel: String = "notice") throws -> BridgeProcess {
        let ports = try (0..<count).map { _ in try TestEnvironment.freePort() }
        var yaml = "modbus: { \(modbus) }\nchargers:\n\(chargers)"
        for (index, port) in ports.enumerated() { yaml = yaml.replacingOccurrences(of: "PORT\(index)", with: "\(port)") }
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let process = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--log-level", logLevel])
        for port in ports { try process.waitFor(":\(port)") }
        return BridgeProcess(process: process, ports: ports)
    }

    /// `chargebridge run` with a whole configuration, once its output shows every marker.
    static func run(_ yaml: String, waitingFor markers: [String], logLevel: String = "info") throws -> ManagedProcess {
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let process = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path, "--log-level", logLevel])
        for marker in markers { try process.waitFor(marker) }
        return process
    }
}
