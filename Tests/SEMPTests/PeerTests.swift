import Foundation
import Logging
import SEMP
import SEMPServer
import Testing

/// The Python energy manager (Tests/Peers/semp_ems.py, written from the public SEMP description)
/// against the server: discovery by M-SEARCH, the description, Device2EM, EM2Device.
@Suite("SEMP with a Home-Manager-like peer", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: TestPaths.python), "python3 is needed"))
struct PeerTests {
    func peer(_ ssdpPort: Int, _ arguments: [String]) async throws -> [String: Any] {
        let run = try await onThread {
            try Child.run(TestPaths.python, [TestPaths.peer, "--host", "127.0.0.1", "--ssdp-port", "\(ssdpPort)"] + arguments)
        }
        guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("peer \(arguments) exited \(run.status): \(run.stdout) \(run.stderr)")
        }
        return object
    }

    @Test("devices, control and steer as an energy manager sees them")
    func energyManager() async throws {
        let backend = RecordingBackend(devices: [Fixtures.wallbox, Fixtures.carport])
        var logger = Logger(label: "semp-peer-test")
        logger.logLevel = .warning
        let server = SEMPServer(host: "127.0.0.1", port: 0, ssdpPort: 0, uuid: Fixtures.uuid, friendlyName: "chargebridge peer test",
                                backend: backend, logger: logger)
        let ports = try await server.start()
        defer { server.stop() }
        let ssdp = try #require(ports.ssdp)

        let listing = try await peer(ssdp, ["devices"])
        let gateway = try #require(listing["gateway"] as? [String: Any])
        #expect(gateway["url"] as? String == "http://127.0.0.1:\(ports.http)/semp/")
        #expect(gateway["udn"] as? String == "uuid:\(Fixtures.uuid)")
        #expect(gateway["transport"] as? String == "HTTP/Pull")
        let devices = try #require(listing["devices"] as? [[String: Any]])
        #expect(devices.compactMap { $0["id"] as? String } == [Fixtures.wallboxID, Fixtures.carportID])
        #expect(devices.first?["name"] as? String == Fixtures.wallbox.name)
        #expect(devices.first?["status"] as? String == "On")
        #expect(devices.first?["power"] as? Int == 4140)
        #expect(devices.first?["min"] as? Int == 1380 && devices.first?["max"] as? Int == 11_040)
        let planning = try #require(devices.first?["planning"] as? [[String: Any]])
        #expect(planning.first?["minEnergy"] as? Int == 2000 && planning.first?["maxEnergy"] as? Int == 30_000)
        #expect((devices.last?["planning"] as? [Any])?.isEmpty == true)

        let control = try await peer(ssdp, ["control", "--device", Fixtures.carportID, "--on", "true", "--power", "5000"])
        #expect(control["status"] as? Int == 200)
        #expect(backend.controls.last == SEMPControl(deviceID: Fixtures.carportID, on: true, recommendedPowerW: 5000))
        let refused = try await peer(ssdp, ["control", "--device", "F-00000000-000000000000-00", "--on", "true"])
        #expect(refused["status"] as? Int == 400)

        let steer = try await peer(ssdp, ["steer", "--device", Fixtures.wallboxID, "--power", "7000", "--seconds", "2", "--period", "1"])
        let samples = try #require(steer["samples"] as? [[String: Any]])
        #expect(samples.count >= 2)
        #expect(samples.allSatisfy { $0["power"] as? Int == 7000 && $0["status"] as? String == "On" })
        #expect((steer["controls"] as? [[String: Any]])?.allSatisfy { $0["status"] as? Int == 200 } == true)
    }
}
