import Foundation
import LinkValues
import Modbus
import RegisterMaps

/// The pymodbus EVC04 emulator (Tests/Peers/evc04_emulator.py): chargers with scripted sessions
/// and the Vestel watchdog; it writes what really happened to a truth file.
final class EVC04Emulator {
    struct Session: Decodable {
        let port: Int
        let id_tag: String
        let start: Double
        let end: Double?
        let energy_wh: Double
    }
    struct Failsafe: Decodable {
        let port: Int
        let entered: Double
        let left: Double?
        let current: Int
    }
    struct Truth: Decodable {
        let sessions: [Session]
        let failsafe: [Failsafe]
        let writes: [String: [String: Int]]
    }

    let process: ManagedProcess
    let ports: [Int]
    let truthFile: URL

    /// `script`: the emulator's JSON script (nil: one vehicle plugged for good on every port).
    /// `aliveEvents`: an event line for every write of the alive register too (who writes, and when).
    init(ports: [Int], script: String? = nil, lifetime: Int = 300, aliveEvents: Bool = false) throws {
        let folder = try TestEnvironment.temporaryFolder()
        truthFile = folder.appendingPathComponent("truth.json")
        var arguments = [TestEnvironment.peer("evc04_emulator.py"), "--ports", ports.map(String.init).joined(separator: ","),
                         "--truth", truthFile.path, "--lifetime", "\(lifetime)", "--events"] + (aliveEvents ? ["--alive-events"] : [])
        if let script {
            let file = folder.appendingPathComponent("script.json")
            try script.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["--script", file.path]
        }
        process = try ManagedProcess(try TestEnvironment.python, arguments)
        self.ports = ports
        try process.waitFor("ready")
    }

    /// Stops it (SIGTERM: it writes the truth file) and reads the truth.
    func finish() throws -> Truth {
        process.stop()
        return try JSONDecoder().decode(Truth.self, from: Data(contentsOf: truthFile))
    }

    /// Event lines printed so far with `event` (and `port`).
    func events(_ event: String, port: Int? = nil) -> [[String: Any]] {
        process.text.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["event"] as? String == event, port == nil || object["port"] as? Int == port else { return nil }
            return object
        }
    }

    /// Waits until `event` has happened `count` times (on `port`); returns the last one.
    @discardableResult
    func waitFor(_ event: String, port: Int? = nil, count: Int = 1, timeout: Double = 15) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(timeout))
        while Date() < deadline {
            let found = events(event, port: port)
            if found.count >= count { return found.last! }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestFailure("emulator: no \(count)× \(event) within \(timeout) s: \(process.text.suffix(2000))")
    }
}

/// Reads a charger's registers as an energy manager would (chargebridge's northbound or the emulator).
func readRegisters(port: Int, _ function: RegisterFunction = .input, address: Int, count: Int = 1) throws -> [UInt16] {
    let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: port), unit: 255)
    defer { client.close() }
    return try client.read(function, address: address, count: count)
}

/// Polls until `condition` holds for a register read (bounded); returns the last value read.
@discardableResult
func waitForRegister(port: Int, address: Int, timeout: Double = 10, register function: RegisterFunction = .input,
                     _ condition: (UInt16) -> Bool) throws -> UInt16 {
    let deadline = Date().addingTimeInterval(TestEnvironment.generous(timeout))
    var last: UInt16?
    while Date() < deadline {
        if let value = (try? readRegisters(port: port, function, address: address))?.first {
            last = value
            if condition(value) { return value }
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw TestFailure("register \(address) on port \(port) never matched (last \(last.map(String.init) ?? "none"))")
}
