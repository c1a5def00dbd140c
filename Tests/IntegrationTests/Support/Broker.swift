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

/// Throw-away certificates made with the openssl command line: `<name>.crt` and `<name>.key` in a folder.
enum Certificates {
    /// A CA (`ca`), a server certificate for 127.0.0.1 (`server`) and a client certificate (`client`).
    static func generate(in folder: URL, key: [String] = Certificates.rsa) throws {
        try authority("ca", in: folder, key: key)
        try issue("server", subject: "/CN=127.0.0.1", by: "ca", in: folder, key: key, extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost")
        try issue("client", subject: "/CN=chargebridge", by: "ca", in: folder, key: key)
    }

    static let rsa = ["-newkey", "rsa:2048"]
    /// P-256: what charge points on OCPP's strict cipher list (ECDHE-ECDSA) can use.
    static let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]

    /// A self-signed CA `<name>`.
    static func authority(_ name: String, in folder: URL, key: [String] = rsa) throws {
        let path = { (file: String) in folder.appendingPathComponent(file).path }
        try openssl(["req", "-x509"] + key + ["-nodes", "-days", "2", "-subj", "/CN=chargebridge test CA \(name)",
                                             "-keyout", path("\(name).key"), "-out", path("\(name).crt")])
    }

    /// A certificate `<name>` for `subject`, signed by the CA `<ca>` in the same folder.
    static func issue(_ name: String, subject: String, by ca: String, in folder: URL, key: [String] = rsa, extensions: String? = nil) throws {
        let path = { (file: String) in folder.appendingPathComponent(file).path }
        try openssl(["req"] + key + ["-nodes", "-subj", subject, "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
        var sign = ["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).crt"), "-CAkey", path("\(ca).key"), "-CAcreateserial",
                    "-days", "2", "-out", path("\(name).crt")]
        if let extensions {
            try "\(extensions)\n".write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
            sign += ["-extfile", path("\(name).ext")]
        }
        try openssl(sign)
    }

    /// A certificate `<name>` for `subject` that ends at `notAfter` (to the second: `openssl ca`,
    /// as `x509 -days` counts whole days), signed by the CA `<ca>` in the same folder.
    static func issue(_ name: String, subject: String, by ca: String, in folder: URL, key: [String] = rsa, notAfter: Date) throws {
        let path = { (file: String) in folder.appendingPathComponent(file).path }
        let database = folder.appendingPathComponent("\(name).db")
        try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
        try Data().write(to: database.appendingPathComponent("index.txt"))
        try "01\n".write(to: database.appendingPathComponent("serial"), atomically: true, encoding: .utf8)
        try """
            [ca]
            default_ca = test
            [test]
            database = \(database.path)/index.txt
            serial = \(database.path)/serial
            new_certs_dir = \(database.path)
            default_md = sha256
            policy = any
            [any]
            commonName = supplied
            organizationName = optional
            """.write(toFile: path("\(name).cnf"), atomically: true, encoding: .utf8)
        try openssl(["req"] + key + ["-nodes", "-subj", subject, "-keyout", path("\(name).key"), "-out", path("\(name).csr")])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyMMddHHmmss'Z'"
        try openssl(["ca", "-batch", "-config", path("\(name).cnf"), "-cert", path("\(ca).crt"), "-keyfile", path("\(ca).key"), "-in", path("\(name).csr"),
                     "-out", path("\(name).crt"), "-enddate", formatter.string(from: notAfter)])
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try runCommand(try TestEnvironment.tool("openssl"), arguments)
        guard result.status == 0 else { throw TestFailure("openssl \(arguments.prefix(2).joined(separator: " ")): \(result.stderr)") }
    }
}
