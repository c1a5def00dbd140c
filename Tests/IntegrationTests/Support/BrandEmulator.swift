import Foundation

/// A brand emulator of Tests/Peers/chargers/ (pymodbus, following the vendor's document): one
/// charger on a loopback port or, for an RTU brand, on one end of a socat pseudo-terminal pair.
final class BrandEmulator {
    let process: ManagedProcess
    /// Where the bridge connects: `tcp: "127.0.0.1:PORT"` or `rtu: { device: …, … }`.
    let endpoint: String
    private let serialLink: ManagedProcess?

    init(_ brand: Brand, port: Int, serialLink existing: (ManagedProcess, String, String)? = nil, extra: [String] = []) throws {
        var arguments = [TestEnvironment.peer("chargers/\(brand.module).py"), "--events", "--lifetime", "150"] + extra
        if let timeout = brand.fixedTimeout { arguments += ["--timeout", "\(timeout)"] }
        if let rtu = brand.rtu {
            let link = try existing ?? Self.serialPair()
            arguments += ["--rtu", link.1, "--baud", "\(rtu.baud)", "--parity", rtu.parity]
            endpoint = "rtu: { device: \(link.2), baud: \(rtu.baud), parity: \(rtu.parity) }"
            serialLink = link.0
            serialEnds = (link.1, link.2)
        } else {
            arguments += ["--port", "\(port)"]
            endpoint = "tcp: \"127.0.0.1:\(port)\""
            serialLink = nil
            serialEnds = nil
        }
        process = try ManagedProcess(try TestEnvironment.python, arguments)
        try process.waitFor("ready")
    }

    /// The pseudo-terminal ends of an RTU brand (emulator side, bridge side).
    let serialEnds: (String, String)?

    /// A socat pseudo-terminal pair: the process and its two ends.
    static func serialPair() throws -> (ManagedProcess, String, String) {
        let folder = try TestEnvironment.temporaryFolder()
        let a = folder.appendingPathComponent("charger").path, b = folder.appendingPathComponent("bridge").path
        let socat = try ManagedProcess(try TestEnvironment.tool("socat"), ["-d", "-d", "pty,raw,echo=0,link=\(a)", "pty,raw,echo=0,link=\(b)"])
        try socat.waitFor("starting data transfer loop")
        return (socat, a, b)
    }

    /// Starts the same brand again where this one ran (same port or same serial line).
    func restart(_ brand: Brand, port: Int, extra: [String] = []) throws -> BrandEmulator {
        process.stop()
        let link = serialLink.flatMap { link in serialEnds.map { (link, $0.0, $0.1) } }
        return try BrandEmulator(brand, port: port, serialLink: link, extra: extra)
    }

    func stopAll() {
        process.stop()
        serialLink?.stop()
    }

    func events(_ event: String) -> [[String: Any]] { process.jsonEvents(event) }

    @discardableResult
    func waitFor(_ event: String, timeout: Double = 10, _ accept: ([String: Any]) -> Bool = { _ in true }) throws -> [String: Any] {
        try process.waitForEvent(event, timeout: timeout, accept)
    }
}

extension ManagedProcess {
    /// The JSON event lines printed so far whose "event" is `event`.
    func jsonEvents(_ event: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["event"] as? String == event else { return nil }
            return object
        }
    }

    /// Waits for an event line that `accept`s (bounded); returns it.
    @discardableResult
    func waitForEvent(_ event: String, after skip: Int = 0, timeout: Double = 10, _ accept: ([String: Any]) -> Bool = { _ in true }) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(timeout))
        while Date() < deadline {
            if let found = jsonEvents(event).dropFirst(skip).first(where: accept) { return found }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestFailure("\(name): no matching \(event) within \(timeout) s: \(text.suffix(1500))")
    }
}
