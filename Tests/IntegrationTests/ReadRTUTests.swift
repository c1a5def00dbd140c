import Foundation
import Testing

/// `chargebridge read --rtu` over a real serial link: a socat pseudo-terminal pair with a
/// pymodbus RTU server on one end.
@Suite("Read over Modbus RTU")
struct ReadRTUTests {
    @Test func circutorCVMMiniAt19200Baud8N1() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let deviceA = folder.appendingPathComponent("ttyA").path, deviceB = folder.appendingPathComponent("ttyB").path
        let link = try ManagedProcess(try TestEnvironment.tool("socat"),
                                      ["-d", "-d", "pty,raw,echo=0,link=\(deviceA)", "pty,raw,echo=0,link=\(deviceB)"])
        defer { link.stop() }
        try link.waitFor("starting data transfer loop")

        let values = [
            PeerValue(name: "voltage.l1", raw: 2301, expected: 230.1),   // V × 10
            PeerValue(name: "voltage.l2", raw: 2295, expected: 229.5),
            PeerValue(name: "voltage.l3", raw: 2312, expected: 231.2),
            PeerValue(name: "current.l1", raw: 7250, expected: 7.25),    // mA
            PeerValue(name: "current.l2", raw: 6500, expected: 6.5),
            PeerValue(name: "current.l3", raw: 8000, expected: 8),
            PeerValue(name: "power.l1", raw: 1668, expected: 1668),
            PeerValue(name: "power.l2", raw: -1492, expected: -1492),
            PeerValue(name: "power.l3", raw: 1848, expected: 1848),
            PeerValue(name: "power.total", raw: 2024, expected: 2024),
            PeerValue(name: "frequency", raw: 499, expected: 49.9),
            PeerValue(name: "energy.import", raw: 4321, expected: 4_321_000),   // kWh → Wh
        ]
        let peer = try MeterPeer.start(map: try MeterPeer.map("cvm-mini"), unit: 1, values: values,
                                       transport: ["--rtu", deviceA, "--baud", "19200", "--parity", "N"])
        defer { peer.stop() }
        let result = try runCommand(try TestEnvironment.chargebridge,
                                    ["read", "--map", "cvm-mini", "--rtu", deviceB, "--baud", "19200", "--parity", "N",
                                     "--data-bits", "8", "--stop-bits", "1", "--unit", "1", "--json", "--stats"])
        #expect(result.status == 0, "\(result.stderr)")
        let reading = try parseReading(result.stdout)
        for value in values {
            #expect(reading[value.name] as? Double == value.expected, "\(value.name): \(String(describing: reading[value.name]))")
        }
        #expect(result.stderr.contains("requests per poll"))
    }

    @Test func aWrongSerialDeviceIsAClearError() throws {
        let result = try runCommand(try TestEnvironment.chargebridge,
                                    ["read", "--map", "cvm-mini", "--rtu", "/dev/ttyNOPE0", "--baud", "19200", "--parity", "N"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/dev/ttyNOPE0 does not exist"))
        let notSerial = try runCommand(try TestEnvironment.chargebridge,
                                       ["read", "--map", "cvm-mini", "--rtu", "/dev/null", "--baud", "19200", "--parity", "N"])
        #expect(notSerial.status != 0)
        #expect(notSerial.stderr.contains("serial"))
    }
}
