import Foundation
import Synchronization

/// Where the built binary, the Python peers and the system tools are. The test command
/// (scripts/test.sh) installs them; a missing one fails the test with a clear message.
enum TestEnvironment {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var chargebridge: String {
        get throws {
            if let path = ProcessInfo.processInfo.environment["CHARGEBRIDGE_BIN"] { return path }
            return try existing(root.appendingPathComponent(".build/debug/chargebridge").path, hint: "run `swift build` first")
        }
    }

    static var python: String {
        get throws {
            let venv = ProcessInfo.processInfo.environment["CHARGEBRIDGE_VENV"] ?? root.appendingPathComponent(".build-venv").path
            return try existing("\(venv)/bin/python", hint: "run scripts/test.sh, which creates the virtual environment with pymodbus")
        }
    }

    static func peer(_ name: String) -> String { root.appendingPathComponent("Tests/Peers/\(name)").path }

    static func tool(_ name: String) throws -> String {
        for folder in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return "\(folder)/\(name)"
        }
        throw TestFailure("\(name) is not installed (scripts/test.sh installs it with apt-get)")
    }

    static func existing(_ path: String, hint: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw TestFailure("\(path) is missing: \(hint)") }
        return path
    }

    /// A loopback TCP port nobody uses now and no other test of this run was given. Chosen below
    /// the kernel's ephemeral range (32768–60999): a port the kernel picked could be taken again
    /// by any outgoing connection before the bridge binds it. `CB_TEST_PORTS` (`LOW-HIGH`) narrows
    /// the range, so that test processes run side by side never hand out the same port.
    static func freePort() throws -> Int {
        for _ in 0..<500 {
            let candidate = Int.random(in: portRange)
            guard issuedPorts.withLock({ $0.insert(candidate).inserted }) else { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(candidate).bigEndian)
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            if bound { return candidate }
        }
        throw TestFailure("cannot find a free port")
    }

    private static let issuedPorts = Mutex<Set<Int>>([])

    static let portRange: ClosedRange<Int> = {
        let bounds = (ProcessInfo.processInfo.environment["CB_TEST_PORTS"] ?? "").split(separator: "-").compactMap { Int($0) }
        guard bounds.count == 2, 1024 <= bounds[0], bounds[0] + 100 <= bounds[1], bounds[1] < 32_768 else { return 20_000...32_000 }
        return bounds[0]...bounds[1]
    }()

    /// Every wait in these tests is stretched by `CB_TEST_TIME_SCALE` (default 3), and a timed goal
    /// gets `patience` seconds (`CB_TEST_PATIENCE`, default 20) on top: a busy machine makes a test
    /// slower, never red. Latency goals are benchmark figures; tests print what they measured.
    static let timeScale = ProcessInfo.processInfo.environment["CB_TEST_TIME_SCALE"].flatMap(Double.init).map { max(1, $0) } ?? 3
    static let patience = ProcessInfo.processInfo.environment["CB_TEST_PATIENCE"].flatMap(Double.init).map { max(0, $0) } ?? 20

    static func generous(_ seconds: Double) -> Double { seconds * timeScale }
    static func generous(_ duration: Duration) -> Duration { duration * timeScale }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("chargebridge-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
