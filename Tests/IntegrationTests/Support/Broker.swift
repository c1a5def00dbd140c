import Foundation

/// A real Mosquitto broker on a free loopback port, configured from etc/mosquitto/, and the
/// Mosquitto command-line clients (mosquitto_sub/mosquitto_pub) to talk to it. Stopped by PID.
final class Broker: @unchecked Sendable {
    let port: Int
    let folder: URL
    let template: String
    /// Arguments the command-line clients need for this broker (credentials or certificates).
    let clientArguments: [String]
    private(set) var process: ManagedProcess

    static let user = "bridge", password = "s3cret-pass"

    /// `test-auth.conf` (username/password) or `test-tls.conf` (TLS, client certificate required).
    init(_ template: String) throws {
        folder = try TestEnvironment.temporaryFolder()
        port = try TestEnvironment.freePort()
        self.template = template
        if template == "test-tls.conf" {
            try Certificates.generate(in: folder)
            clientArguments = ["--cafile", folder.appendingPathComponent("ca.crt").path,
                               "--cert", folder.appendingPathComponent("client.crt").path,
                               "--key", folder.appendingPathComponent("client.key").path]
        } else {
            let passwords = folder.appendingPathComponent("passwords").path
            let result = try runCommand(try TestEnvironment.tool("mosquitto_passwd"), ["-b", "-c", passwords, Self.user, Self.password])
            guard result.status == 0 else { throw TestFailure("mosquitto_passwd: \(result.stderr)") }
            clientArguments = ["-u", Self.user, "-P", Self.password]
        }
        var text = try String(contentsOf: TestEnvironment.root.appendingPathComponent("etc/mosquitto/\(template)"), encoding: .utf8)
        text = text.replacingOccurrences(of: "@PORT@", with: "\(port)").replacingOccurrences(of: "@DIR@", with: folder.path)
            .replacingOccurrences(of: "@USER@", with: String(cString: getpwuid(geteuid()).pointee.pw_name))
        try text.write(to: folder.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        process = try Self.launch(folder: folder, port: port)
    }

    private static func launch(folder: URL, port: Int) throws -> ManagedProcess {
        let broker = try TestEnvironment.existing("/usr/sbin/mosquitto", hint: "scripts/test.sh installs mosquitto")
        let process = try ManagedProcess(broker, ["-c", folder.appendingPathComponent("mosquitto.conf").path])
        try process.waitFor("on port \(port)", timeout: .seconds(10))
        return process
    }

    /// Stops the broker (retained messages are lost: no persistence) and, unless told otherwise, starts it again.
    func stop() { process.stop() }
    func start() throws { process = try Self.launch(folder: folder, port: port) }

    /// The YAML `mqtt:` section that points the bridge at this broker.
    var bridgeSettings: String {
        if template == "test-tls.conf" {
            let file = { (name: String) in self.folder.appendingPathComponent(name).path }
            return "{ host: 127.0.0.1, port: \(port), protocol: \"5\", keepalive_s: 5, reconnect_min_s: 0.2, reconnect_max_s: 1, "
                + "tls: { ca: \(file("ca.crt")), cert: \(file("client.crt")), key: \(file("client.key")) } }"
        }
        return "{ host: 127.0.0.1, port: \(port), username: \(Self.user), password: \(Self.password), keepalive_s: 5, reconnect_min_s: 0.2, reconnect_max_s: 1 }"
    }

    // MARK: - Command-line clients

    /// The retained messages on `topics` now (topic → payload), read by a paho-mqtt client.
    func retained(_ topics: [String], wait: Double = 1) throws -> [String: String] {
        var arguments = [TestEnvironment.peer("mqtt_retained.py"), "--port", "\(port)", "--wait", "\(wait)"]
        if template == "test-tls.conf" {
            arguments += ["--cafile", folder.appendingPathComponent("ca.crt").path, "--cert", folder.appendingPathComponent("client.crt").path,
                          "--key", folder.appendingPathComponent("client.key").path]
        } else {
            arguments += ["--user", Self.user, "--password", Self.password]
        }
        let result = try runCommand(try TestEnvironment.python, arguments + topics, timeout: .seconds(Int(wait) + 15))
        guard result.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String] else {
            throw TestFailure("mqtt_retained.py: \(result.stdout) \(result.stderr)")
        }
        return object
    }

    func publish(_ topic: String, _ payload: String, retain: Bool = false) throws {
        var arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-t", topic, "-m", payload] + clientArguments
        if retain { arguments.append("-r") }
        let result = try runCommand(try TestEnvironment.tool("mosquitto_pub"), arguments)
        guard result.status == 0 else { throw TestFailure("mosquitto_pub \(topic): \(result.stderr)") }
    }

    /// Waits until the retained value of `topic` satisfies `accept`; returns it.
    @discardableResult
    func waitFor(_ topic: String, timeout: Double = 15, _ accept: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(TestEnvironment.generous(timeout))
        var last: String?
        repeat {
            last = try retained([topic])[topic]
            if let last, accept(last) { return last }
            Thread.sleep(forTimeInterval: 0.1)
        } while Date() < deadline
        throw TestFailure("\(topic) did not reach the expected value within \(timeout) s (last: \(last ?? "none"))")
    }

    func waitFor(_ topic: String, equal value: String, timeout: Double = 15) throws {
        try waitFor(topic, timeout: timeout) { $0 == value }
    }

    /// A live subscriber (mosquitto_sub) that prints every message until stopped.
    func subscriber(_ topics: [String]) throws -> ManagedProcess {
        var arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-v", "-q", "1"] + clientArguments
        for topic in topics { arguments += ["-t", topic] }
        let process = try ManagedProcess(try TestEnvironment.tool("mosquitto_sub"), arguments)
        Thread.sleep(forTimeInterval: 0.3)   // subscribed before the test acts
        return process
    }

    deinit { process.stop() }
}

/// A throw-away CA, a server certificate for 127.0.0.1 and a client certificate (openssl).
enum Certificates {
    static func generate(in folder: URL) throws {
        let openssl = try TestEnvironment.tool("openssl")
        func run(_ arguments: [String]) throws {
            let result = try runCommand(openssl, arguments)
            guard result.status == 0 else { throw TestFailure("openssl \(arguments.first ?? ""): \(result.stderr)") }
        }
        let path = { (name: String) in folder.appendingPathComponent(name).path }
        try run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=chargebridge test CA",
                 "-keyout", path("ca.key"), "-out", path("ca.crt")])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=chargebridge")] {
            try run(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
            var sign = ["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                        "-days", "2", "-out", path("\(name).crt")]
            if name == "server" { sign += ["-extfile", path("server.ext")] }
            try run(sign)
        }
    }
}
