import Foundation
import Testing

/// `chargebridge read` against meters served by pymodbus (a Modbus server not written by us).
@Suite("Read over Modbus TCP", .serialized)
struct ReadTCPTests {
    func readAndCompare(map name: String, unit: Int = 1, values: [PeerValue]) throws {
        let map = try MeterPeer.map(name)
        let port = try TestEnvironment.freePort()
        let peer = try MeterPeer.start(map: map, unit: unit, values: values, transport: ["--tcp", "\(port)"])
        defer { peer.stop() }
        let result = try runCommand(try TestEnvironment.chargebridge,
                                    ["read", "--map", name, "--tcp", "127.0.0.1:\(port)", "--unit", "\(unit)", "--json", "--stats"])
        #expect(result.status == 0, "\(result.stderr)")
        let reading = try parseReading(result.stdout)
        for value in values {
            if let expected = value.expected {
                #expect(reading[value.name] as? Double == expected, "\(name) \(value.name): \(String(describing: reading[value.name]))")
            } else {
                #expect(reading[value.name] is NSNull, "\(name) \(value.name) must be null (missing), got \(String(describing: reading[value.name]))")
            }
        }
        #expect(result.stderr.contains("requests per poll"))
    }

    @Test func siemensPAC2200() throws {
        try readAndCompare(map: "pac2200", values: [
            PeerValue(name: "voltage.l1", raw: 230.5, expected: 230.5),
            PeerValue(name: "voltage.l2", raw: 231.25, expected: 231.25),
            PeerValue(name: "voltage.l3", raw: 229.75, expected: 229.75),
            PeerValue(name: "current.l1", raw: 7.25, expected: 7.25),
            PeerValue(name: "current.l2", raw: 16.5, expected: 16.5),
            PeerValue(name: "current.l3", raw: 0.125, expected: 0.125),
            PeerValue(name: "power.l1", raw: 1671.25, expected: 1671.25),
            PeerValue(name: "power.l2", raw: -3815.5, expected: -3815.5),   // exporting phase
            PeerValue(name: "power.l3", raw: 28.5, expected: 28.5),
            PeerValue(name: "power.total", raw: -2115.75, expected: -2115.75),
            PeerValue(name: "frequency", raw: 49.984375, expected: 49.984375),
            PeerValue(name: "energy.import", raw: 12_345_678.5, expected: 12_345_678.5),   // float64 Wh
            PeerValue(name: "energy.export", raw: 0.0 / 0.0, expected: nil),                // NaN → missing
        ])
    }

    @Test func garoGNM3D() throws {
        try readAndCompare(map: "garo-gnm3d", values: [
            PeerValue(name: "voltage.l1", raw: 2301, expected: 230.1),       // V × 10, low word first
            PeerValue(name: "voltage.l2", raw: 2295, expected: 229.5),
            PeerValue(name: "voltage.l3", raw: 2312, expected: 231.2),
            PeerValue(name: "current.l1", raw: 7250, expected: 7.25),        // A × 1000
            PeerValue(name: "current.l2", raw: 16_000, expected: 16),
            PeerValue(name: "current.l3", raw: 125, expected: 0.125),
            PeerValue(name: "power.l1", raw: 16_683, expected: 1668.3),      // W × 10
            PeerValue(name: "power.l2", raw: -36_720, expected: -3672),      // signed
            PeerValue(name: "power.l3", raw: 289, expected: 28.9),
            PeerValue(name: "power.total", raw: 0x7FFF_FFFF, expected: nil), // documented overflow → missing
            PeerValue(name: "frequency", raw: 500, expected: 50),
            PeerValue(name: "energy.import", raw: 123_456, expected: 12_345_600),   // kWh × 10 → Wh
            PeerValue(name: "energy.export", raw: 75, expected: 7500),
        ])
    }

    @Test func schneiderIEM3x5x() throws {
        try readAndCompare(map: "schneider-iem3x5x", values: [
            PeerValue(name: "current.l1", raw: 7.25, expected: 7.25),
            PeerValue(name: "current.l2", raw: 6.5, expected: 6.5),
            PeerValue(name: "current.l3", raw: 8, expected: 8),
            PeerValue(name: "voltage.l1", raw: 230.5, expected: 230.5),
            PeerValue(name: "voltage.l2", raw: 229.5, expected: 229.5),
            PeerValue(name: "voltage.l3", raw: 231, expected: 231),
            PeerValue(name: "power.l1", raw: 1.671875, expected: 1671.875),   // kW → W
            PeerValue(name: "power.l2", raw: 1.5, expected: 1500),
            PeerValue(name: "power.l3", raw: 1.84375, expected: 1843.75),
            PeerValue(name: "power.total", raw: 5.015625, expected: 5015.625),
            PeerValue(name: "frequency", raw: 50, expected: 50),
            PeerValue(name: "energy.import", raw: 123_456_789, expected: 123_456_789),   // int64 Wh
            PeerValue(name: "energy.export", raw: -9_223_372_036_854_775_808, expected: nil),   // sentinel
        ])
    }

    @Test func aDeviceThatNeverAnswersReportsATimeoutNotANumber() throws {
        // A listener that accepts connections but never answers.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) + listen(fd, 4) + getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let result = try runCommand(try TestEnvironment.chargebridge,
                                    ["read", "--map", "pac2200", "--tcp", "127.0.0.1:\(port)", "--json", "--timeout-ms", "200"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("timeout"))
        let reading = try parseReading(result.stdout)
        #expect(reading.values.allSatisfy { $0 is NSNull })
    }

    @Test func exceptionAnswersAreMissing() throws {
        // pymodbus serves unit 1 only; unit 9 gets an exception answer.
        let map = try MeterPeer.map("pac2200")
        let port = try TestEnvironment.freePort()
        let peer = try MeterPeer.start(map: map, unit: 1, values: [PeerValue(name: "current.l1", raw: 1, expected: 1)],
                                       transport: ["--tcp", "\(port)"])
        defer { peer.stop() }
        let result = try runCommand(try TestEnvironment.chargebridge,
                                    ["read", "--map", "pac2200", "--tcp", "127.0.0.1:\(port)", "--unit", "9"])
        #expect(result.status != 0)
        #expect(result.stdout.contains("current.l1") && result.stdout.contains("Modbus exception"))
        #expect(!result.stdout.contains("7.25"))
    }
}
