import Foundation
import Testing

/// `chargebridge simulate meter` read by mbpoll, a Modbus client not written by us.
@Suite("Simulated meter")
struct SimulateMeterTests {
    @Test func mbpollSeesTheExpectedRawRegisters() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let valuesFile = folder.appendingPathComponent("values.yaml")
        try "current.l1: 7.25\nenergy.import: 123456.5\n".write(to: valuesFile, atomically: true, encoding: .utf8)
        let port = try TestEnvironment.freePort()
        let meter = try ManagedProcess(try TestEnvironment.chargebridge,
                                       ["simulate", "meter", "--map", "pac2200", "--port", "\(port)", "--unit", "1",
                                        "--values", valuesFile.path])
        defer { meter.stop() }
        try meter.waitFor("serving")
        // -0: PDU addresses; -t 4:hex: raw holding registers; -1: one poll.
        let current = try runCommand(try TestEnvironment.tool("mbpoll"),
                                     ["-m", "tcp", "-p", "\(port)", "-a", "1", "-0", "-r", "13", "-c", "2", "-t", "4:hex", "-1", "127.0.0.1"])
        #expect(current.status == 0, "\(current.stdout)\(current.stderr)")
        #expect(current.stdout.contains("[13]: \t0x40E8") && current.stdout.contains("[14]: \t0x0000"), "\(current.stdout)")
        // float64 123456.5 = 0x40FE 0x2408 0x0000 0x0000, high word first
        let energy = try runCommand(try TestEnvironment.tool("mbpoll"),
                                    ["-m", "tcp", "-p", "\(port)", "-a", "1", "-0", "-r", "801", "-c", "4", "-t", "4:hex", "-1", "127.0.0.1"])
        #expect(energy.stdout.contains("[801]: \t0x40FE") && energy.stdout.contains("[802]: \t0x2408"), "\(energy.stdout)")
        // an address outside the map is refused with exception 02
        let outside = try runCommand(try TestEnvironment.tool("mbpoll"),
                                     ["-m", "tcp", "-p", "\(port)", "-a", "1", "-0", "-r", "5000", "-c", "1", "-t", "4:hex", "-1", "127.0.0.1"])
        #expect(outside.stdout.contains("Illegal data address") || outside.stderr.contains("Illegal data address"))
        // and chargebridge itself reads back the given and generated values
        let read = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "pac2200", "--tcp", "127.0.0.1:\(port)", "--json"])
        let reading = try parseReading(read.stdout)
        #expect(reading["current.l1"] as? Double == 7.25)
        #expect(reading["energy.import"] as? Double == 123_456.5)
        #expect(reading["voltage.l1"] as? Double == 230)
    }

    @Test func everyShippedMapCanBeSimulatedAndReadBack() throws {
        let maps = ["cvm-mini", "pac2200", "klefr-6924", "klefr-6934", "garo-gnm3t", "garo-gnm3d", "schneider-powertag",
                    "schneider-pm5320", "schneider-iem3x5x", "schneider-nsx", "schneider-nsx-legacy", "schneider-mtz",
                    "eastron-sdm630", "phoenix-eem-mb371"]
        for map in maps {
            let port = try TestEnvironment.freePort()
            let meter = try ManagedProcess(try TestEnvironment.chargebridge, ["simulate", "meter", "--map", map, "--port", "\(port)"])
            defer { meter.stop() }
            try meter.waitFor("serving")
            let read = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", map, "--tcp", "127.0.0.1:\(port)", "--json"])
            #expect(read.status == 0, "\(map): \(read.stderr)")
            let reading = try parseReading(read.stdout)
            let current = try #require(reading["current.l1"] as? Double, "\(map): \(read.stdout)")
            #expect(abs(current - 7.25) <= 0.5, "\(map): current.l1 = \(current)")   // some breakers resolve 1 A
        }
    }
}
