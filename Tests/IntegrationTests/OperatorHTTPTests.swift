import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Testing

/// The operator's read-only HTTP endpoint against real clients: the status page in headless
/// Chromium (Debian's package) with 100 chargers, `/metrics` and `/health` with curl, and bad
/// requests that get 404/405/413 and change nothing; HEAD on every route.
@Suite("Operator HTTP endpoint", .serialized)
struct OperatorHTTPTests {
    struct Site {
        let bridge: ManagedProcess
        let modbus: Int
        let http: Int
        var url: String { "http://127.0.0.1:\(http)" }
    }

    /// `count` simulated chargers behind one gateway listener (unit = index), each with a car.
    /// `http`: more of the `http:` section; `shell`: run before the bridge in its shell (`ulimit -n 64`).
    static func start(chargers count: Int, extra: String = "", http httpExtra: String = "", shell: String? = nil) throws -> Site {
        let modbus = try TestEnvironment.freePort(), http = try TestEnvironment.freePort()
        let folder = try TestEnvironment.temporaryFolder()
        let chargers = (1...count).map { index in
            "  - { id: cp\(index), max_current: 16, failsafe_current: 6, failsafe_timeout_s: 60, modbus: { unit: \(index) },\n"
                + "      simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 80, soc: 0.1 } ] } }"
        }
        let yaml = """
        modbus: { mode: gateway, bind: 127.0.0.1, port: \(modbus) }
        http: { bind: 127.0.0.1, port: \(http), max_body_bytes: 1024, refresh_s: 5\(httpExtra) }
        storage: { data_dir: \(folder.path) }
        \(extra)
        chargers:
        \(chargers.joined(separator: "\n"))
        """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let command = "\(shell.map { "\($0); " } ?? "")exec \(try TestEnvironment.chargebridge) run --config \(file.path) --log-level info"
        let bridge = try ManagedProcess("/bin/sh", ["-c", command])
        try bridge.waitFor("HTTP endpoint on http://127.0.0.1:\(http)/")
        return Site(bridge: bridge, modbus: modbus, http: http)
    }

    /// curl's answer: the body, the status code and the time to the last byte.
    static func fetch(_ url: String, _ options: [String] = []) throws -> (body: String, status: Int, seconds: Double) {
        let result = try runCommand(try TestEnvironment.tool("curl"), ["-s", "-o", "-", "-w", "\n%{http_code} %{time_total}"] + options + [url])
        let parts = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let tail = parts.last?.split(separator: " ") ?? []
        guard tail.count == 2, let status = Int(tail[0]), let seconds = Double(tail[1]) else { throw TestFailure("curl \(url): \(result.stdout) \(result.stderr)") }
        return (parts.dropLast().joined(separator: "\n"), status, seconds)
    }

    /// Headless Chromium, kept to loopback: no background networking, a profile of its own.
    static func chromium(_ arguments: [String]) throws -> (out: String, seconds: Double) {
        let profile = try TestEnvironment.temporaryFolder().appendingPathComponent("chromium")
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-default-apps", "--no-pings",
                     "--disable-features=Translate,OptimizationHints,MediaRouter", "--user-data-dir=\(profile.path)"]
        let started = Date()
        let result = try runCommand(try TestEnvironment.tool("chromium"), flags + arguments, timeout: .seconds(60))
        #expect(result.status == 0, "chromium \(arguments): \(result.stderr.suffix(2000))")
        return (result.stdout, Date().timeIntervalSince(started))
    }

    /// charger id → setpoint as `/metrics` shows it.
    static func metricSetpoints(_ text: String) -> [String: Int] {
        var setpoints: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("chargebridge_charger_setpoint_amperes{") {
            guard let id = line.firstMatch(of: /charger="([^"]+)"/)?.1, let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            setpoints[String(id)] = Int(value)
        }
        return setpoints
    }

    @Test func theStatusPageShowsEveryChargerInChromium() throws {
        let site = try Self.start(chargers: 100)
        defer { site.bridge.stop() }
        // an energy manager steers cp7 to 13 A: the page must show it, and the others at failsafe 6 A
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: site.modbus), unit: 7)
        defer { client.close() }
        try client.write(address: 5004, registers: [13])
        try client.write(address: 6000, registers: [1])
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(10))
        while Self.metricSetpoints(try Self.fetch(site.url + "/metrics").body)["cp7"] != 13, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }

        let dom = try Self.chromium(["--dump-dom", site.url + "/"]).out
        let metrics = Self.metricSetpoints(try Self.fetch(site.url + "/metrics").body)
        #expect(metrics.count == 100, "\(metrics.count) setpoints in /metrics")
        for index in 1...100 {
            let row = dom.firstMatch(of: try Regex("<tr id=\"charger-cp\(index)\"[^>]*>(.*?)</tr>"))
            let cells = try #require(row.map { String($0.output[1].substring ?? "") }, "cp\(index) missing from the page")
            let shown = cells.firstMatch(of: /data-setpoint="(\d+)"/).flatMap { Int($0.1) }
            #expect(shown == metrics["cp\(index)"], "cp\(index): page \(String(describing: shown)) A, metrics \(String(describing: metrics["cp\(index)"])) A")
            #expect(shown == (index == 7 ? 13 : 6), "cp\(index): \(cells)")
        }
        #expect(dom.contains("master 127.0.0.1") || dom.contains(">127.0.0.1:"), "cp7's master is shown")
        #expect(dom.contains("<table id=\"events\""), "the last events are listed")

        // a screenshot of the page as a browser lays it out
        let png = try TestEnvironment.temporaryFolder().appendingPathComponent("status.png")
        _ = try Self.chromium(["--screenshot=\(png.path)", "--window-size=1400,2400", site.url + "/"])
        let image = try Data(contentsOf: png)
        #expect(image.count > 20_000 && image.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(image.count) bytes")

        // within 1 s with 100 chargers: the server's answer (curl, to the last byte), and the
        // browser's time beyond its own start-up (a trivial page in the same run is the baseline)
        let served = try (0..<5).map { _ in try Self.fetch(site.url + "/").seconds }.max() ?? 0
        let baseline = try (0..<2).map { _ in try Self.chromium(["--dump-dom", "data:text/html,<p>baseline</p>"]).seconds }.min() ?? 0
        let page = try (0..<2).map { _ in try Self.chromium(["--dump-dom", site.url + "/"]).seconds }.min() ?? 0
        print("status page, 100 chargers: served in \(served) s (slowest of 5); Chromium \(page) s against \(baseline) s for a trivial page")
        // the goal (≤ 1 s each) is a benchmark figure; here only a machine's patience bounds it
        #expect(served < 1 + TestEnvironment.patience, "the page took \(served) s to serve")
        #expect(page - baseline < 1 + TestEnvironment.patience, "Chromium needed \(page - baseline) s more than for a trivial page")
    }

    @Test func metricsHealthAndBadRequestsThatChangeNothing() throws {
        // one meter that answers (a simulated PAC2200) and one that is not there
        let meterPort = try TestEnvironment.freePort(), absent = try TestEnvironment.freePort()
        let meter = try ManagedProcess(try TestEnvironment.chargebridge, ["simulate", "meter", "--map", "pac2200", "--port", "\(meterPort)"])
        defer { meter.stop() }
        try meter.waitFor("serving")
        let site = try Self.start(chargers: 3, extra: """
        meters:
          - { id: pv, role: pv, map: pac2200, tcp: 127.0.0.1:\(meterPort), unit: 1, period_ms: 500 }
          - { id: gone, map: pac2200, tcp: 127.0.0.1:\(absent), unit: 1, period_ms: 500, timeout_ms: 200 }
        """)
        defer { site.bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: site.modbus), unit: 2)
        defer { client.close() }
        try client.write(address: 5004, registers: [10])
        try client.write(address: 6000, registers: [1])
        _ = try client.read(.input, address: 1000, count: 2)
        #expect(throws: ModbusError.self) { _ = try client.read(.input, address: 9999, count: 1) }   // exception 02, counted
        Thread.sleep(forTimeInterval: 1)

        let metrics = try Self.fetch(site.url + "/metrics")
        #expect(metrics.status == 200)
        for series in ["chargebridge_charger_setpoint_amperes{charger=\"cp2\"} ", "chargebridge_charger_current_amperes{charger=\"cp1\",phase=\"l1\"}",
                       "chargebridge_charger_setpoint_reason{charger=\"cp2\",reason=\"ems\"} 1",
                       "chargebridge_charger_power_watts{charger=\"cp1\"}",
                       "# TYPE chargebridge_charger_energy_joules_total counter", "chargebridge_charger_energy_joules_total{charger=\"cp3\"} ",
                       "chargebridge_meter_current_amperes{meter=\"pv\",phase=\"l1\"} ", "chargebridge_meter_phase_power_watts{meter=\"pv\",phase=\"l3\"} ",
                       "chargebridge_meter_power_watts{meter=\"pv\"} ",
                       "chargebridge_charger_failsafe{charger=\"cp1\"} 0", "chargebridge_charger_failsafe{charger=\"cp2\"} 0",
                       "chargebridge_charger_master_connected{charger=\"cp2\"} 1", "chargebridge_charger_online{charger=\"cp3\"} 1",
                       "chargebridge_modbus_requests_total{function=\"06\",result=\"ok\"} 2", "chargebridge_modbus_requests_total{function=\"04\",result=\"ok\"} 1",
                       "chargebridge_modbus_requests_total{function=\"04\",result=\"exception_02\"} 1",
                       "chargebridge_control_step_seconds_bucket{le=", "chargebridge_storage_backlog_writes ",
                       "chargebridge_meter_poll_seconds_count{meter=\"pv\"}", "chargebridge_meter_online{meter=\"pv\"} 1",
                       "chargebridge_meter_online{meter=\"gone\"} 0"] {
            #expect(metrics.body.contains(series), "\(series) missing from /metrics")
        }
        #expect(Self.metricSetpoints(metrics.body)["cp2"] == 10)
        // one series per charger and metric whatever the setpoint's reason: no label that changes with it
        let setpointLines = metrics.body.split(separator: "\n").filter { $0.hasPrefix("chargebridge_charger_setpoint_amperes{") }
        #expect(setpointLines.count == 3 && !setpointLines.contains { $0.contains("reason=") }, "\(setpointLines)")
        #expect(metrics.body.split(separator: "\n").filter { $0.hasPrefix("chargebridge_charger_setpoint_reason{charger=\"cp2\"") }.count == 1)
        #expect(!metrics.body.contains("watt_hours{"), "energy is exported in joules")
        let errors = metrics.body.split(separator: "\n").filter { $0.hasPrefix("chargebridge_meter_errors_total{") }
        #expect(errors.contains { $0.contains("meter=\"gone\"") && $0.contains("kind=\"connection\"") }, "\(errors)")
        #expect(!errors.contains { $0.contains("meter=\"pv\"") }, "\(errors)")

        let health = try Self.fetch(site.url + "/health")
        #expect(health.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any], "\(health.body)")
        #expect(object["status"] as? String == "degraded" && object["chargers"] as? Int == 3, "\(object)")
        #expect(object["meters_offline"] as? [String] == ["gone"], "\(object)")
        let page = try Self.fetch(site.url + "/").body
        #expect(page.contains("<tr id=\"meter-pv\" class=\"\"><td>pv</td><td>pv</td><td>yes</td>") && page.contains("current.l1 "), "the page shows pv's values")
        #expect(page.contains("<tr id=\"meter-gone\" class=\"offline\">"), "the page shows the absent meter offline")
        // cp1 and cp3 never had an energy manager: local control, not a failsafe alarm
        #expect(object["chargers_in_failsafe"] as? [String] == [], "\(object)")
        #expect(object["chargers_local"] as? [String] == ["cp1", "cp3"], "\(object)")

        // what a stranger may try: nothing changes state
        #expect(try Self.fetch(site.url + "/nowhere").status == 404)
        #expect(try Self.fetch(site.url + "/", ["-X", "POST", "-d", "5004=32"]).status == 405)
        #expect(try Self.fetch(site.url + "/metrics", ["-X", "DELETE"]).status == 405)
        let big = String(repeating: "x", count: 4096)
        #expect(try Self.fetch(site.url + "/health", ["-X", "GET", "--data-binary", big]).status == 413)
        #expect(try Self.fetch(site.url + "/health", ["-X", "GET", "-H", "Transfer-Encoding: chunked", "--data-binary", big]).status == 413)
        let after = Self.metricSetpoints(try Self.fetch(site.url + "/metrics").body)
        #expect(after == ["cp1": 6, "cp2": 10, "cp3": 6], "\(after)")
        #expect(try Self.fetch(site.url + "/health").status == 200, "still serving")

        // cp2's energy manager goes silent (a 2 s failsafe timeout): that is an alarm
        try client.write(address: 2002, registers: [2])
        try client.write(address: 6000, registers: [1])
        client.close()
        Thread.sleep(forTimeInterval: 3.5)
        let alarm = try #require(try JSONSerialization.jsonObject(with: Data(try Self.fetch(site.url + "/health").body.utf8)) as? [String: Any])
        #expect(alarm["chargers_in_failsafe"] as? [String] == ["cp2"] && alarm["chargers_local"] as? [String] == ["cp1", "cp3"], "\(alarm)")
        #expect(try Self.fetch(site.url + "/metrics").body.contains("chargebridge_charger_failsafe{charger=\"cp2\"} 1"))
        #expect(try Self.fetch(site.url + "/").body.contains("<span class=\"warn\">failsafe</span>"))
    }

    /// `chargebridge simulate meter` serving the PAC2200 map with these values (SI units); its port.
    static func simulatedMeter(_ values: [String: Double]) throws -> (process: ManagedProcess, port: Int) {
        let port = try TestEnvironment.freePort()
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("values.yaml")
        try values.map { "\($0.key): \($0.value)" }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let meter = try ManagedProcess(try TestEnvironment.chargebridge,
                                       ["simulate", "meter", "--map", "pac2200", "--port", "\(port)", "--values", file.path])
        try meter.waitFor("serving")
        return (meter, port)
    }

    /// The number in `attribute="…"` of the element with this id, e.g. a tile's watts.
    static func number(_ attribute: String, of id: String, in html: String) -> Double? {
        html.firstMatch(of: try! Regex("id=\"\(id)\"[^>]*\(attribute)=\"(-?[0-9.]+)\"")).flatMap { Double($0.output[1].substring ?? "") }
    }

    @Test func theStatusPageShowsTheEnergyFlowAndChartsInChromium() throws {
        let grid = try Self.simulatedMeter(["current.l1": 17.5, "current.l2": 16.5, "current.l3": 17, "power.total": 12_000])
        defer { grid.process.stop() }
        let pv = try Self.simulatedMeter(["current.l1": 4.5, "current.l2": 4.5, "current.l3": 4.5, "power.total": -3_100])
        defer { pv.process.stop() }
        let site = try Self.start(chargers: 3, extra: """
        site: { grid_meter: grid, fuse_a: 25 }
        meters:
          - { id: grid, map: pac2200, tcp: 127.0.0.1:\(grid.port), unit: 1, period_ms: 500 }
          - { id: pv, role: pv, map: pac2200, tcp: 127.0.0.1:\(pv.port), unit: 1, period_ms: 500 }
        """, http: ", history_period_s: 1")
        defer { site.bridge.stop() }

        // a sample a second: wait for two, and for both meters' values
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(20))
        var page = ""
        repeat {
            page = try Self.fetch(site.url + "/").body
            let samples = Self.number("data-samples", of: "charts", in: page) ?? 0
            if samples >= 2, Self.number("data-watts", of: "flow-pv", in: page) != nil { break }
            Thread.sleep(forTimeInterval: 0.5)
        } while Date() < deadline
        // the screenshot for the docs (CB_STATUS_SCREENSHOT=docs/status-page.png): a minute of charts first
        let screenshotTarget = ProcessInfo.processInfo.environment["CB_STATUS_SCREENSHOT"]
        if screenshotTarget != nil { Thread.sleep(forTimeInterval: 90) }

        let dom = try Self.chromium(["--dump-dom", site.url + "/"]).out
        #expect((Self.number("data-samples", of: "charts", in: dom) ?? 0) >= 2, "\(dom.prefix(3000))")
        #expect(Self.number("data-watts", of: "flow-grid", in: dom) == 12_000, "grid import")
        #expect(Self.number("data-watts", of: "flow-pv", in: dom) == 3_100, "PV production, whatever the meter's sign")
        let chargersW = try #require(Self.number("data-watts", of: "flow-chargers", in: dom), "the chargers' tile")
        let house = try #require(Self.number("data-watts", of: "flow-house", in: dom), "the house tile")
        #expect(abs(house - max(0, 12_000 + 3_100 - chargersW)) <= 1, "house = grid + PV − chargers (\(chargersW) W): \(house) W")
        #expect(!dom.contains("id=\"flow-battery\""), "no battery meter, no tile")
        #expect(dom.contains("L1 17.5 / L2 16.5 / L3 17.0 A of 25 A"))
        for chart in ["chart-grid", "chart-power", "chart-chargers"] {
            let svg = try #require(dom.firstMatch(of: try Regex("(?s)<svg id=\"\(chart)\"[^>]*aria-label=\"[^\"]+\"><title>.*?</svg>")), "\(chart) missing")
            #expect((svg.output[0].substring ?? "").contains("<polyline class="), "\(chart) has lines")
        }
        #expect(dom.contains("<line class=\"ref fuse\"") && dom.contains("data-value=\"25.0\""), "the fuse line")
        for id in ["cp1", "cp2", "cp3"] { #expect(dom.contains("</span>\(id)</li>"), "\(id) in the chargers' legend") }
        #expect(dom.contains("<tr id=\"meter-grid\" class=\"\"><td>grid</td><td>grid</td>"))
        #expect(!dom.contains("<script"), "no script on the page")

        // the day's range; a bad value is the hour; both read-only GETs
        #expect(try Self.fetch(site.url + "/?range=day").body.contains("data-range=\"day\""))
        for bad in ["week", "%3Cscript%3E", "day%00", String(repeating: "x", count: 2_000)] {
            let answer = try Self.fetch(site.url + "/?range=" + bad)
            #expect(answer.status == 200 && answer.body.contains("data-range=\"hour\"") && !answer.body.contains("<script"), "range=\(bad.prefix(20))")
        }

        let png = try TestEnvironment.temporaryFolder().appendingPathComponent("status.png")
        _ = try Self.chromium(["--screenshot=\(png.path)", "--window-size=1280,1700", "--hide-scrollbars", site.url + "/"])
        let image = try Data(contentsOf: png)
        #expect(image.count > 20_000 && image.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(image.count) bytes")
        if let screenshotTarget {
            let target = URL(fileURLWithPath: screenshotTarget, relativeTo: TestEnvironment.root)
            _ = try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: png, to: target)
            print("status page screenshot written to \(target.path)")
        }
    }

    /// A raw HEAD request (curl -I would not show bytes after the headers): the status line and
    /// headers, and whatever came after them until the server closed.
    static func head(_ port: Int, _ path: String) throws -> (head: String, after: String) {
        let script = """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", \(port)))
            s.sendall(b"HEAD \(path) HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            sys.stdout.write(data.decode())
            """
        let result = try runCommand(try TestEnvironment.python, ["-c", script])
        guard let end = result.stdout.range(of: "\r\n\r\n") else { throw TestFailure("HEAD \(path): \(result.stdout) \(result.stderr)") }
        return (String(result.stdout[..<end.lowerBound]), String(result.stdout[end.upperBound...]))
    }

    @Test func headAnswersEveryRouteLikeGetWithoutABody() throws {
        let site = try Self.start(chargers: 2)
        defer { site.bridge.stop() }
        for path in ["/", "/health", "/metrics"] {
            let answer = try Self.head(site.http, path)
            let lines = answer.head.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "HTTP/1.1 200 OK", "HEAD \(path): \(answer.head)")
            #expect(answer.after.isEmpty, "HEAD \(path) sent a body: \(answer.after.prefix(200))")
            func header(_ name: String) -> String? {
                lines.first { $0.lowercased().hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
            }
            let get = try runCommand(try TestEnvironment.tool("curl"), ["-s", "-o", "/dev/null", "-w", "%{content_type}", site.url + path])
            #expect(header("content-type") == get.stdout, "HEAD \(path): \(answer.head)")
            #expect((header("content-length").flatMap(Int.init) ?? 0) > 0, "HEAD \(path) states the GET body's length: \(answer.head)")
        }
        #expect(try Self.head(site.http, "/nowhere").head.hasPrefix("HTTP/1.1 404"))
        #expect(try Self.fetch(site.url + "/health").status == 200, "still serving")
    }

    @Test func runningOutOfFileDescriptorsDoesNotSpinACore() throws {
        // the connection limit above the descriptors: accept() is what fails
        let site = try Self.start(chargers: 1, http: ", max_connections: 1024", shell: "ulimit -n 64")
        defer { site.bridge.stop() }
        let idle = try site.bridge.cpuShare(over: 2)
        let (busy, hold) = try site.bridge.cpuShareOutOfDescriptors(port: site.http, marker: "HTTP endpoint cannot accept connections")
        defer { hold.stop() }
        print("HTTP endpoint out of file descriptors: \(Int(busy * 1000)) ‰ of a core (idle: \(Int(idle * 1000)) ‰)")
        #expect(busy <= 0.05, "the bridge used \(Int(busy * 100)) % of a core while out of descriptors")
        #expect(site.bridge.text.components(separatedBy: "cannot accept connections").count == 2, "logged once")
        // the held connections go: the endpoint serves again
        hold.stop()
        let deadline = Date().addingTimeInterval(20)
        var status = 0
        while status != 200, Date() < deadline {
            status = (try? Self.fetch(site.url + "/health", ["--max-time", "5"]).status) ?? 0
            if status != 200 { Thread.sleep(forTimeInterval: 0.5) }
        }
        #expect(status == 200, "serving again after the connections closed")
    }
}
