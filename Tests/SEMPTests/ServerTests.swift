import Foundation
import Logging
import SEMP
import SEMPServer
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The server over real sockets on 127.0.0.1 (ports chosen by the system). Serialized: each test
/// has a server of its own, and blocking socket work runs on threads of its own.
@Suite("SEMPServer over HTTP and SSDP", .serialized)
struct ServerTests {
    struct Running {
        let server: SEMPServer
        let backend: RecordingBackend
        let http: Int
        let ssdp: Int
    }

    func start(allowWrite: Bool = true) async throws -> Running {
        let backend = RecordingBackend(devices: [Fixtures.wallbox, Fixtures.carport], allowWrite: allowWrite)
        var logger = Logger(label: "semp-test")
        logger.logLevel = .warning
        let server = SEMPServer(host: "127.0.0.1", port: 0, ssdpPort: 0, uuid: Fixtures.uuid, friendlyName: "chargebridge test",
                                backend: backend, logger: logger, clock: { 1_700_000_000 })
        let ports = try await server.start()
        return Running(server: server, backend: backend, http: ports.http, ssdp: try #require(ports.ssdp))
    }

    func request(_ port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: String = "") async throws -> Sockets.HTTPResponse {
        try await onThread { try Sockets.http(port: port, method: method, path: path, headers: headers, body: Array(body.utf8)) }
    }

    @Test("GET /semp/ has the devices; /semp too; HEAD has no body")
    func device2EM() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let response = try await request(running.http, "GET", "/semp/")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/xml; charset=utf-8")
        let report = try SEMPDocument.parseDevice2EM(response.body)
        #expect(report.infos.map(\.id) == [Fixtures.wallboxID, Fixtures.carportID])
        #expect(report.infos.first?.name == Fixtures.wallbox.name)
        #expect(report.statuses.first == SEMPReport.Status(id: Fixtures.wallboxID, emSignalsAccepted: true, status: "On", powerW: 4140))
        #expect(report.timeframes.map(\.deviceID) == [Fixtures.wallboxID])

        let bare = try await request(running.http, "GET", "/semp")
        #expect(bare.status == 200 && bare.body == response.body)
        let head = try await request(running.http, "HEAD", "/semp/")
        #expect(head.status == 200 && head.body.isEmpty)
        let missing = try await request(running.http, "GET", "/semp/nothing")
        #expect(missing.status == 404)
    }

    @Test("The description names the server the request reached")
    func description() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let response = try await request(running.http, "GET", "/uuid:\(Fixtures.uuid)/description.xml")
        #expect(response.status == 200)
        let description = try SEMPDocument.parseDeviceDescription(response.body)
        #expect(description.udn == "uuid:\(Fixtures.uuid)")
        #expect(description.server == "http://127.0.0.1:\(running.http)")
        #expect(description.basePath == "/semp")
        #expect(try await request(running.http, "HEAD", "/uuid:\(Fixtures.uuid)/description.xml").status == 200)
        #expect(try await request(running.http, "GET", "/uuid:00000000-0000-0000-0000-000000000000/description.xml").status == 404)
    }

    @Test("POST /semp/: a control reaches the backend with the peer, and the status follows")
    func control() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let body = SEMPDocument.em2Device([SEMPControl(deviceID: Fixtures.carportID, on: true, recommendedPowerW: 7360)])
        let response = try await request(running.http, "POST", "/semp/", headers: ["Content-Type": "application/xml"], body: body)
        #expect(response.status == 200 && response.body.isEmpty)
        let received = running.backend.received.withLock { $0 }
        #expect(received.map(\.control) == [SEMPControl(deviceID: Fixtures.carportID, on: true, recommendedPowerW: 7360)])
        #expect(received.first?.peerAddress == [127, 0, 0, 1])
        #expect(received.first?.peer.hasPrefix("127.0.0.1:") == true)
        let report = try SEMPDocument.parseDevice2EM(try await request(running.http, "GET", "/semp/").body)
        #expect(report.statuses.last == SEMPReport.Status(id: Fixtures.carportID, emSignalsAccepted: false, status: "On", powerW: 7360))
        // no content type at all is taken as XML too
        #expect(try await request(running.http, "POST", "/semp", body: body).status == 200)
    }

    @Test("POST /semp/ refusals: malformed 400, unknown device 400, not allowed 403, JSON 415")
    func refusals() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let malformed = try await request(running.http, "POST", "/semp/", headers: ["Content-Type": "text/xml"], body: "<EM2Device><DeviceControl>")
        #expect(malformed.status == 400 && malformed.text.hasPrefix("malformed XML: "))
        let wrongRoot = try await request(running.http, "POST", "/semp/", body: "<Device2EM/>")
        #expect(wrongRoot.status == 400 && wrongRoot.text == "root element <Device2EM>, expected <EM2Device> in the SEMP namespace\n")
        let unknown = SEMPDocument.em2Device([SEMPControl(deviceID: "F-00000000-000000000000-00", on: true)])
        let refused = try await request(running.http, "POST", "/semp/", body: unknown)
        #expect(refused.status == 400 && refused.text == "no device F-00000000-000000000000-00\n")
        let json = try await request(running.http, "POST", "/semp/", headers: ["Content-Type": "application/json"], body: "{}")
        #expect(json.status == 415)
        #expect(running.backend.controls.isEmpty)

        let readOnly = try await start(allowWrite: false)
        defer { readOnly.server.stop() }
        let forbidden = try await request(readOnly.http, "POST", "/semp/", body: SEMPDocument.em2Device([SEMPControl(deviceID: Fixtures.wallboxID, on: false)]))
        #expect(forbidden.status == 403 && forbidden.text.hasPrefix("writes are not allowed from 127.0.0.1:"))
    }

    @Test("A 1 MiB POST is refused before its body is read")
    func oversized() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let head = "POST /semp/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/xml\r\nContent-Length: \(1 << 20)\r\n\r\n"
        let port = running.http
        let response = try await onThread { try Sockets.exchange(port: port, send: Array(head.utf8)) }
        #expect(response.status == 413)
        #expect(response.text == "EM2Device over 65536 bytes\n")
        // and one that says nothing of its length is cut at the limit
        let chunked = "POST /semp/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "10000\r\n" + String(repeating: " ", count: 0x10000) + "\r\n" + "10\r\n" + String(repeating: " ", count: 16) + "\r\n"
        let cut = try await onThread { try Sockets.exchange(port: port, send: Array(chunked.utf8)) }
        #expect(cut.status == 413)
        #expect(running.backend.controls.isEmpty)
        // the server still answers
        #expect(try await request(running.http, "GET", "/semp/").status == 200)
    }

    @Test("M-SEARCH on UDP: an answer whose LOCATION is the description")
    func search() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let ssdp = running.ssdp
        let answers = try await onThread { try Sockets.udp(port: ssdp, send: Array(SSDP.search().utf8)) }
        let answer = try #require(answers.first)
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(answer.contains("ST: \(SEMPDocument.gatewayType)\r\n"))
        #expect(answer.contains("USN: uuid:\(Fixtures.uuid)::\(SEMPDocument.gatewayType)\r\n"))
        let location = try #require(SSDP.location(inResponse: answer))
        #expect(location == "http://127.0.0.1:\(running.http)/uuid:\(Fixtures.uuid)/description.xml")
        let path = String(location.dropFirst("http://127.0.0.1:\(running.http)".count))
        let description = try await request(running.http, "GET", path)
        #expect(try SEMPDocument.parseDeviceDescription(description.body).server == "http://127.0.0.1:\(running.http)")

        let all = try await onThread { try Sockets.udp(port: ssdp, send: Array(SSDP.search(target: "ssdp:all").utf8), count: 3) }
        #expect(all.count == 3)
    }

    @Test("SSDP ignores what it must: other targets, oversized datagrams, garbage")
    func ignored() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let ssdp = running.ssdp
        // unanswered datagrams first, then one that is answered: the first answer must be that one's
        let padded = SSDP.search(target: "upnp:rootdevice").replacingOccurrences(of: "\r\n\r\n", with: "\r\nX-PAD: \(String(repeating: "x", count: 3000))\r\n\r\n")
        let datagrams = [Array(SSDP.search(target: "urn:schemas-upnp-org:device:MediaServer:1").utf8), Array(padded.utf8),
                         [UInt8](repeating: 0xFF, count: 512), Array("NOTIFY * HTTP/1.1\r\nNTS: ssdp:alive\r\n\r\n".utf8),
                         Array(SSDP.search(target: "uuid:\(Fixtures.uuid)").utf8)]
        let answers = try await onThread { try Sockets.udp(port: ssdp, send: datagrams) }
        #expect(answers.count == 1)
        #expect(answers.first?.contains("ST: uuid:\(Fixtures.uuid)\r\n") == true)
    }

    @Test("SSDP answers one source at most ten times in a burst")
    func rateLimited() async throws {
        let running = try await start()
        defer { running.server.stop() }
        let ssdp = running.ssdp
        let burst = Array(repeating: Array(SSDP.search().utf8), count: 40)
        let answers = try await onThread { try Sockets.udp(port: ssdp, send: burst, count: 40, quietS: 3) }
        #expect(answers.count >= 10)
        #expect(answers.count < 40)
    }

    @Test("stop() closes both sockets")
    func stop() async throws {
        let running = try await start()
        #expect(try await request(running.http, "GET", "/semp/").status == 200)
        running.server.stop()
        let http = running.http
        // wait for the listener to go (generously): connecting is then refused
        var refused = false
        for _ in 0 ..< 300 where !refused {
            let connected: Bool? = try? await onThread {
                close(try Sockets.connectTCP(port: http))
                return true
            }
            refused = connected == nil
            if !refused { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(refused)
        await #expect(throws: SEMPServerError.alreadyStarted) { try await running.server.start() }
    }

    @Test("An SSDP port in use: start fails, and the HTTP port is let go")
    func ssdpPortTaken() async throws {
        // a UDP socket without SO_REUSEADDR holds the port
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        let taken = Int(UInt16(bigEndian: address.sin_port))
        let server = SEMPServer(host: "127.0.0.1", port: 0, ssdpPort: taken, uuid: Fixtures.uuid, friendlyName: "x",
                                backend: RecordingBackend(devices: []), logger: Logger(label: "semp-test"))
        await #expect(throws: (any Error).self) { try await server.start() }
    }

    @Test("A UUID that is none is refused at start")
    func badUUID() async throws {
        let server = SEMPServer(host: "127.0.0.1", port: 0, ssdpPort: nil, uuid: "not-a-uuid", friendlyName: "x",
                                backend: RecordingBackend(devices: []), logger: Logger(label: "semp-test"))
        await #expect(throws: SEMPServerError.invalidUUID("not-a-uuid")) { try await server.start() }
    }
}
