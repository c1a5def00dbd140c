import Foundation
import Modbus
import RegisterMaps

/// The set-up of the fuse-loop tests: one simulated charger with a car that takes 16 A, under a
/// 32 A fuse whose grid meter (excluding the charger) the test supplies, and the car's current read
/// back over the charger's EVC08 face.
enum FuseSite {
    /// - Parameters:
    ///   - site: extra keys of `site:` (delays, fallback, staleness).
    ///   - head: top-level sections before `meters:` (mqtt, ems, storage).
    ///   - meters: the `meters:` list, one of them `grid`.
    static func yaml(site: String, head: String = "", meters: String, chargerPort: Int) -> String {
        """
        site: { grid_meter: grid, fuse_a: 32, meter: excluding, \(site) }
        modbus: { bind: 127.0.0.1 }
        \(head)
        meters:
        \(meters)
        chargers:
          - id: ev
            max_current: 16
            failsafe_current: 16
            modbus: { port: \(chargerPort) }
            simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] }
        """
    }

    /// Writes the configuration and runs the bridge until its charger listens.
    static func run(_ yaml: String, chargerPort: Int, file: URL? = nil, arguments: [String] = ["--log-level", "info"]) throws -> ManagedProcess {
        let file = try file ?? TestEnvironment.temporaryFolder().appendingPathComponent("site.yaml")
        if !FileManager.default.fileExists(atPath: file.path) { try yaml.write(to: file, atomically: true, encoding: .utf8) }
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path] + arguments)
        try bridge.waitFor(":\(chargerPort)")
        return bridge
    }

    /// Polls the car's current (EVC08 register 1008) until `condition` holds; the time it took.
    static func waitForCurrent(_ client: ModbusClient, within limit: Double, _ condition: (Double) -> Bool) throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < TestEnvironment.generous(limit) {
            if let value = try? client.read(.input, address: 1008, count: 1).first, condition(Double(value) / 1000) {
                return Date().timeIntervalSince(start)
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return nil
    }
}
