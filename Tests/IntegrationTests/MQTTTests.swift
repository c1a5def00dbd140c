import StorageModel
import Foundation
import Storage
import Testing

/// The MQTT northbound end to end: chargebridge against a real Mosquitto broker, checked with
/// Mosquitto's own command-line clients.
@Suite("MQTT northbound")
struct MQTTTests {
    /// A bridge with two simulated chargers in a zone, an MQTT load-shedding input and a state file.
    struct Site {
        let bridge: ManagedProcess
        let file: URL
        let dataDirectory: String
        let modbusPort: Int

        static func start(_ broker: Broker, dataDirectory: String? = nil, modbusPort: Int? = nil) throws -> Site {
            let folder = try TestEnvironment.temporaryFolder()
            let state = dataDirectory ?? folder.appendingPathComponent("data").path
            let port = try modbusPort ?? TestEnvironment.freePort()
            let port2 = try TestEnvironment.freePort()
            let ev = "simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 32, capacity_kwh: 500, soc: 0.1 } ] }"
            let yaml = """
                site: { name: MQTT test site }
                modbus: { bind: 127.0.0.1 }
                mqtt: \(broker.bridgeSettings)
                storage: { data_dir: \(state) }
                inputs: [ { id: ripple, role: load_shedding, mqtt: true, debounce_ms: 0 } ]
                load_management: { zones: [ { id: garage, limit_a: 40 } ] }
                chargers:
                  - { id: cp1, name: Garage, zone: garage, max_current: 16, failsafe_current: 16, modbus: { port: \(port) }, \(ev) }
                  - { id: cp2, zone: garage, max_current: 32, phase_switching: true, failsafe_current: 16, modbus: { port: \(port2) }, \(ev) }
                """
            let file = folder.appendingPathComponent("chargebridge.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
            try bridge.waitFor("MQTT connected")
            return Site(bridge: bridge, file: file, dataDirectory: state, modbusPort: port)
        }
    }

    static let cp1 = "chargebridge/charger/cp1"

    @Test func retainedStateAndCommandsSteerTheSimulatedCharger() throws {
        let broker = try Broker("test-auth.conf")
        var site = try Site.start(broker)
        defer { site.bridge.stop() }
        // retained state of every kind of entity, readable by a client that connects later
        try broker.waitFor("\(Self.cp1)/status", equal: "charging")
        let state = try broker.retained(["chargebridge/#"])
        #expect(state["chargebridge/status"] == "online")
        for topic in ["charger/cp1/setpoint", "charger/cp1/mode", "charger/cp1/current_l1", "charger/cp2/power", "zone/garage/state",
                      "zone/garage/operator_limit", "input/ripple/active", "site/ev_power", "site/load_shedding",
                      "zone/garage/next_to_pause", "zone/garage/next_to_resume"] {
            #expect(state["chargebridge/\(topic)"] != nil, "missing \(topic)")
        }
        // the zone per phase: both cars charge on all three phases
        let phases = try #require(try JSONSerialization.jsonObject(with: Data((state["chargebridge/zone/garage/phases"] ?? "").utf8)) as? [[String: Any]])
        #expect(phases.map { $0["phase"] as? String } == ["L1", "L2", "L3"] && phases.allSatisfy { $0["plugs"] as? Int == 2 }, "\(phases)")
        #expect(state["\(Self.cp1)/mode"] == "max-hybrid")
        // the health summary: everything answers and is recorded
        let health = try broker.waitFor("chargebridge/health", timeout: 15) { !$0.isEmpty }
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(health.utf8)) as? [String: Any])
        #expect(summary["status"] as? String == "ok", "\(health)")
        #expect(summary["chargers"] as? Int == 2 && (summary["chargers_offline"] as? [String])?.isEmpty == true)
        #expect(summary["storage"] as? String == "ok" && summary["grid_meter"] as? String == "none")

        // current limit: the setpoint follows and the simulated EV draws no more
        try broker.publish("\(Self.cp1)/current_limit/set", "10", retain: true)
        try broker.waitFor("\(Self.cp1)/current_limit", equal: "10")
        try broker.waitFor("\(Self.cp1)/reason", equal: "operator")
        #expect(try broker.retained(["\(Self.cp1)/setpoint"])["\(Self.cp1)/setpoint"] == "10")
        try broker.waitFor("\(Self.cp1)/current_l1") { Double($0).map { $0 <= 10.01 && $0 > 9 } == true }
        // the handled set topic is cleared: nothing retained there
        #expect(try broker.retained(["\(Self.cp1)/current_limit/set"]).isEmpty)

        // mode, enable and force
        try broker.publish("\(Self.cp1)/mode/set", "off")
        try broker.waitFor("\(Self.cp1)/reason", equal: "mode")
        try broker.waitFor("\(Self.cp1)/setpoint", equal: "0")
        try broker.publish("\(Self.cp1)/mode/set", "sun-hybrid")
        try broker.waitFor("\(Self.cp1)/mode", equal: "sun-hybrid")
        try broker.publish("chargebridge/charger/cp2/enable/set", "OFF")
        try broker.waitFor("chargebridge/charger/cp2/reason", equal: "disabled")
        try broker.waitFor("chargebridge/charger/cp2/current_l1", equal: "0.00")
        try broker.publish("chargebridge/charger/cp2/enable/set", "ON")
        try broker.publish("chargebridge/charger/cp2/force/set", "ON")
        try broker.waitFor("chargebridge/charger/cp2/force", equal: "ON")
        try broker.publish("chargebridge/charger/cp2/phases/set", "1")
        try broker.waitFor("chargebridge/charger/cp2/phases", equal: "1")

        // zone operator limit and a load-shedding signal over MQTT
        try broker.publish("chargebridge/zone/garage/operator_limit/set", "20")
        try broker.waitFor("chargebridge/zone/garage/operator_limit", equal: "20")
        try broker.waitFor("chargebridge/zone/garage/allocated_l1") { Double($0).map { $0 <= 20 } == true }
        try broker.publish("chargebridge/input/ripple/active/set", "ON")
        try broker.waitFor("chargebridge/site/load_shedding", equal: "ON")
        try broker.waitFor("chargebridge/charger/cp2/reason", equal: "load-shedding")
        try broker.waitFor("chargebridge/charger/cp2/setpoint", equal: "8")

        // a restart resumes the operator's settings (and the utility's signal); force lasts one session
        site.bridge.stop()
        try broker.waitFor("chargebridge/status", equal: "offline")
        site = try Site.start(broker, dataDirectory: site.dataDirectory)
        try broker.waitFor("chargebridge/status", equal: "online")
        let after = try broker.retained(["chargebridge/#"])
        #expect(after["\(Self.cp1)/current_limit"] == "10")
        #expect(after["\(Self.cp1)/mode"] == "sun-hybrid")
        #expect(after["chargebridge/zone/garage/operator_limit"] == "20")
        #expect(after["chargebridge/input/ripple/active"] == "ON")
        #expect(after["chargebridge/charger/cp2/force"] == "OFF")
    }

    @Test func badPayloadsAreAnsweredOnTheErrorTopicAndChangeNothing() throws {
        let broker = try Broker("test-auth.conf")
        let site = try Site.start(broker)
        defer { site.bridge.stop() }
        try broker.waitFor("\(Self.cp1)/current_limit", equal: "16")
        let errors = try broker.subscriber(["chargebridge/error"])
        defer { errors.stop() }
        let cases: [(String, String, String)] = [
            ("current_limit", "ten", "expected a number of amperes"),      // wrong type
            ("current_limit", "99", "out of range"),                       // out of range
            ("current_limit", "3", "out of range"),                        // below the minimum
            ("mode", "turbo", "unknown mode"),                             // unknown mode
            ("mode", String(repeating: "x", count: 1000), "longer than the 256 allowed"),   // oversized
            ("phases", "1", "cannot switch phases"),
            ("enable", "perhaps", "expected ON or OFF"),
            ("phases", "0x10", "1 or 3"),
        ]
        // error replies come at most once a second per command topic (all topics without a command
        // count as one): the same again waits that long
        var lastSent: [String: Date] = [:]
        func send(_ topic: String, _ payload: String, retain: Bool = false, key: String? = nil) throws {
            if let last = lastSent[key ?? topic] { Thread.sleep(forTimeInterval: max(0, 1.1 - Date().timeIntervalSince(last))) }
            lastSent[key ?? topic] = Date()
            try broker.publish(topic, payload, retain: retain)
        }
        for (topic, payload, reason) in cases {
            try send("\(Self.cp1)/\(topic)/set", payload, retain: true)
            try errors.waitFor(reason)
            #expect(errors.text.contains("\"topic\":\"chargebridge\\/charger\\/cp1\\/\(topic)\\/set\"") || errors.text.contains("charger/cp1/\(topic)/set"))
        }
        // plain decimals only; a /set nobody handles is answered too, and cleared
        let limitBefore = try broker.retained(["chargebridge/charger/cp2/current_limit"])["chargebridge/charger/cp2/current_limit"]
        #expect(limitBefore != nil)
        try send("chargebridge/charger/cp2/current_limit/set", "0x10", retain: true)
        try errors.waitFor("got \\\"0x10\\\"")
        try send("chargebridge/charger/cp2/current_limit/set", "1e1")
        try errors.waitFor("got \\\"1e1\\\"")
        try send("chargebridge/charger/nobody/mode/set", "now", retain: true, key: "no command")
        try errors.waitFor("no such entity or value")
        try send("\(Self.cp1)/setpoint/set", "32", retain: true, key: "no command")
        try errors.waitFor("charger\\/cp1\\/setpoint is read-only")
        try send("chargebridge/zone/garage/operator_limit/set", "[10, 10]")
        try errors.waitFor("[L1, L2, L3]")
        try send("chargebridge/zone/garage/operator_limit/set", "50")
        try errors.waitFor("above the zone's limit")
        // nothing changed, and the rejected set topics were cleared too
        let state = try broker.retained(["\(Self.cp1)/#", "chargebridge/zone/garage/#", "chargebridge/charger/nobody/#", "chargebridge/charger/cp2/#"])
        #expect(state["chargebridge/charger/cp2/current_limit"] == limitBefore, "0x10 is not 16 A, 1e1 not 10 A")
        #expect(state["\(Self.cp1)/current_limit"] == "16")
        #expect(state["\(Self.cp1)/mode"] == "max-hybrid")
        #expect(state["\(Self.cp1)/enable"] == "ON")
        #expect(state["chargebridge/zone/garage/operator_limit"] == "40")
        #expect(!state.keys.contains { $0.hasSuffix("/set") }, "\(state.keys.filter { $0.hasSuffix("/set") })")
        let database = try ChargeDatabase(path: site.dataDirectory + "/chargebridge.sqlite", readOnly: true)
        #expect(try database.setting("runtime") == nil, "a rejected command saved settings")
        #expect(site.bridge.text.contains("rejected: unknown mode \"turbo\""))
    }

    /// A repeated command is acknowledged (its set topic cleared) but logged and recorded once;
    /// a flood of rejected ones gets at most one error reply per topic and second, and the next
    /// reply counts the ones left unanswered.
    @Test func repeatedCommandsAreQuietAndAFloodOfRejectionsIsAnsweredSparingly() throws {
        let broker = try Broker("test-auth.conf")
        let site = try Site.start(broker)
        defer { site.bridge.stop() }
        try broker.waitFor("\(Self.cp1)/current_limit", equal: "16")
        let errors = try broker.subscriber(["chargebridge/error"])
        defer { errors.stop() }
        for _ in 0..<10 { try broker.publish("\(Self.cp1)/current_limit/set", "10", retain: true) }
        try broker.waitFor("\(Self.cp1)/current_limit", equal: "10")
        // a command that changes something, after them on the same queue: once it is recorded, so are they
        try broker.publish("\(Self.cp1)/mode/set", "off")
        let database = try ChargeDatabase(path: site.dataDirectory + "/chargebridge.sqlite", readOnly: true)
        let deadline = Date().addingTimeInterval(30)
        while try !database.events(kind: "setting-changed").contains(where: { $0.detail.hasPrefix("mode") }), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let changes = try database.events(kind: "setting-changed").map(\.detail)
        #expect(changes == ["current_limit: current limit 10 A", "mode: mode off"], "\(changes)")
        #expect(site.bridge.text.components(separatedBy: "current_limit of cp1").count - 1 == 1, "\(site.bridge.text)")
        #expect(try broker.retained(["\(Self.cp1)/current_limit/set"]).isEmpty)   // each acknowledged by clearing

        // a flood of rejected commands on one topic, then one on another topic as a marker: answered
        // after all of the flood was handled (one queue, in order)
        let flood = 300
        let started = Date()
        let publish = "yes ten | head -n \(flood) | \(try TestEnvironment.tool("mosquitto_pub")) -h 127.0.0.1 -p \(broker.port) -q 1 -l -t \(Self.cp1)/current_limit/set "
            + broker.clientArguments.map { "'\($0)'" }.joined(separator: " ")
        let sent = try runCommand("/bin/sh", ["-c", publish], timeout: .seconds(60))
        #expect(sent.status == 0, "\(sent.stderr)")
        try broker.publish("\(Self.cp1)/enable/set", "marker")
        try errors.waitFor("got \\\"marker\\\"")
        let elapsed = Date().timeIntervalSince(started)
        let replies = Self.errorReplies(errors.text, topic: "\(Self.cp1)/current_limit/set")
        #expect(!replies.isEmpty)
        #expect(Double(replies.count) <= elapsed.rounded(.up) + 1, "\(replies.count) replies in \(elapsed) s")
        // a second later the next rejection is answered with the count of the unanswered ones
        Thread.sleep(forTimeInterval: 1.5)
        try broker.publish("\(Self.cp1)/current_limit/set", "last")
        try errors.waitFor("got \\\"last\\\"")
        let all = Self.errorReplies(errors.text, topic: "\(Self.cp1)/current_limit/set")
        #expect(all.count == replies.count + 1)
        #expect(all.reduce(0) { $0 + 1 + $1 } == flood + 1, "every rejection answered or counted: \(all)")
        #expect(try broker.retained(["\(Self.cp1)/current_limit"])["\(Self.cp1)/current_limit"] == "10")
    }

    /// The `suppressed` count of each error reply about `topic` in mosquitto_sub's `-v` output.
    static func errorReplies(_ text: String, topic: String) -> [Int] {
        text.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("chargebridge/error "),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst("chargebridge/error ".count).utf8)) as? [String: Any],
                  object["topic"] as? String == topic else { return nil }
            return object["suppressed"] as? Int ?? 0
        }
    }

    @Test func theLastWillSaysOfflineAndABrokerRestartGetsTheStateBack() throws {
        let broker = try Broker("test-auth.conf")
        var site = try Site.start(broker)
        defer { site.bridge.stop() }
        try broker.waitFor("\(Self.cp1)/status", equal: "charging")

        // the broker goes away: control goes on (the Modbus slave still answers), then comes back
        broker.stop()
        Thread.sleep(forTimeInterval: 1.5)
        let read = try runCommand(try TestEnvironment.tool("mbpoll"), ["-m", "tcp", "-p", "\(site.modbusPort)", "-a", "255", "-t", "3",
                                                                       "-r", "1001", "-c", "1", "-1", "-0", "127.0.0.1"])
        #expect(read.status == 0, "Modbus slave silent while the broker is down: \(read.stdout)")
        try broker.start()   // no persistence: every retained message is gone
        try broker.waitFor("chargebridge/status", equal: "online")
        let state = try broker.retained(["chargebridge/#"])
        #expect(state["\(Self.cp1)/status"] == "charging")
        #expect(state["chargebridge/zone/garage/state"] != nil)
        #expect(try broker.retained(["homeassistant/#"]).count >= 4)   // discovery republished too
        #expect(site.bridge.text.contains("retrying with backoff"))

        // killed without a goodbye: the broker publishes the last will
        site.bridge.child.signal(SIGKILL)
        try broker.waitFor("chargebridge/status", equal: "offline", timeout: 10)
        site = try Site.start(broker, dataDirectory: site.dataDirectory)
        try broker.waitFor("chargebridge/status", equal: "online")
    }

    @Test func discoveryConfigsAreValidAndRepublishedWhenHomeAssistantStarts() throws {
        let broker = try Broker("test-auth.conf")
        let site = try Site.start(broker)
        defer { site.bridge.stop() }
        try broker.waitFor("chargebridge/status", equal: "online")
        Thread.sleep(forTimeInterval: 0.5)
        let configs = try broker.retained(["homeassistant/#"])
        let expected = ["site_site", "charger_cp1", "charger_cp2", "zone_garage", "input_ripple"].map { "homeassistant/device/chargebridge_\($0)/config" }
        #expect(Set(configs.keys) == Set(expected))
        for (topic, payload) in configs {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any], "\(topic) is not JSON")
            let device = try #require(json["dev"] as? [String: Any])
            #expect(device["ids"] != nil && device["name"] != nil)
            #expect((json["o"] as? [String: Any])?["name"] as? String == "chargebridge")
            let components = try #require(json["cmps"] as? [String: [String: Any]])
            for (id, component) in components {
                #expect((component["availability"] as? [[String: Any]])?.first?["topic"] as? String == "chargebridge/status")
                #expect(component["p"] != nil && component["unique_id"] as? String == id && component["state_topic"] != nil)
                #expect((component["default_entity_id"] as? String)?.hasPrefix("\(component["p"] as? String ?? "?").") == true)
                #expect(component["object_id"] == nil)
                if ["select", "number", "switch"].contains(component["p"] as? String) { #expect(component["command_topic"] != nil) }
            }
        }
        let charger = try #require(try JSONSerialization.jsonObject(with: Data(configs[expected[1]]!.utf8)) as? [String: Any])
        let components = try #require(charger["cmps"] as? [String: [String: Any]])
        #expect(components["chargebridge_charger_cp1_mode"]?["p"] as? String == "select")
        #expect(components["chargebridge_charger_cp1_current_limit"]?["max"] as? Double == 16)
        #expect(components["chargebridge_charger_cp1_current_l1"]?["device_class"] as? String == "current")

        // Home Assistant restarts (its retained configs were wiped): "online" brings them back
        try broker.publish(expected[1], "", retain: true)
        #expect(try broker.retained([expected[1]]).isEmpty)
        try broker.publish("homeassistant/status", "online")
        try broker.waitFor(expected[1]) { $0.contains("\"cmps\"") }
    }

    @Test func tlsWithAClientCertificateOverMQTT5() throws {
        let broker = try Broker("test-tls.conf")
        let site = try Site.start(broker)
        defer { site.bridge.stop() }
        try broker.waitFor("chargebridge/status", equal: "online")
        try broker.publish("\(Self.cp1)/current_limit/set", "12")
        try broker.waitFor("\(Self.cp1)/setpoint", equal: "12")
    }

    @Test func wrongCredentialsAreReportedAndRetried() throws {
        let broker = try Broker("test-auth.conf")
        let folder = try TestEnvironment.temporaryFolder()
        let port = try TestEnvironment.freePort()
        let yaml = """
            modbus: { bind: 127.0.0.1 }
            mqtt: { host: 127.0.0.1, port: \(broker.port), username: \(Broker.user), password: wrong, reconnect_min_s: 0.2, reconnect_max_s: 0.5 }
            chargers: [ { id: cp1, modbus: { port: \(port) } } ]
            """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
        defer { bridge.stop() }
        try bridge.waitFor("not authorised")
        try bridge.waitFor(":\(port)")   // the Modbus side serves regardless
        #expect(try broker.retained(["chargebridge/#"]).isEmpty)
    }
}
