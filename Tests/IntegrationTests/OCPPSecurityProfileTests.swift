import Foundation
import Testing

/// OCPP security profile 3: charge points (Python `ocpp`, Tests/Peers/ocpp_charge_point.py) that
/// present client certificates made with openssl at test time, beside a profile-2 charge point
/// with its password on the same TLS port.
@Suite("OCPP security profile 3", .serialized)
struct OCPPSecurityProfileTests {
    /// A CA for the server and the charge points, certificates for cp3 and cp2, and cp3's name
    /// signed by another CA; EC keys, as charge points on OCPP's strict cipher list use.
    static func certificates() throws -> URL {
        let folder = try TestEnvironment.temporaryFolder()
        try Certificates.generate(in: folder, key: Certificates.ec)
        for id in ["cp3", "cp2"] {
            try Certificates.issue(id, subject: "/O=chargebridge test/CN=\(id)", by: "ca", in: folder, key: Certificates.ec, extensions: "extendedKeyUsage=clientAuth")
        }
        try Certificates.authority("other", in: folder, key: Certificates.ec)
        try Certificates.issue("cp3-other-ca", subject: "/CN=cp3", by: "other", in: folder, key: Certificates.ec, extensions: "extendedKeyUsage=clientAuth")
        return folder
    }

    /// A charge point on wss:// that trusts the test CA; `certificate`: the name of its client certificate.
    static func chargePoint(_ id: String, port: Int, folder: URL, certificate: String?, password: String?, _ arguments: [String] = []) throws -> ManagedProcess {
        let file = { (name: String) in folder.appendingPathComponent(name).path }
        var all = ["--cafile", file("ca.crt"), "--plug-at", "-1", "--reconnect-s", "30"] + arguments
        if let certificate { all += ["--cert", file("\(certificate).crt"), "--key", file("\(certificate).key")] }
        return try OCPPChargePointTests.chargePoint(id, port: port, scheme: "wss", password: password, all)
    }

    /// TLS checks a certificate at the handshake only: a connection ends when its certificate does.
    @Test func aConnectionEndsWhenItsClientCertificateExpires() throws {
        let folder = try Self.certificates()
        let file = { (name: String) in folder.appendingPathComponent(name).path }
        let tls = ", tls: { certificate: \(file("server.crt")), key: \(file("server.key")), client_ca: \(file("ca.crt")) }"
        let site = try OCPPChargePointTests.startSite(["cp3"], ocppExtra: tls, credentials: ["cp3": "security_profile: 3"])
        defer { site.bridge.stop() }
        let ends = Date().addingTimeInterval(20)
        try Certificates.issue("cp3-short", subject: "/CN=cp3", by: "ca", in: folder, key: Certificates.ec, notAfter: ends)
        let cp3 = try Self.chargePoint("cp3", port: site.ocppPort, folder: folder, certificate: "cp3-short", password: nil)
        defer { cp3.stop() }
        try cp3.waitFor("ready")
        #expect(cp3.jsonEvents("closed").isEmpty)
        try site.bridge.waitFor("its client certificate expired, connection closed", timeout: .seconds(TestEnvironment.generous(40)))
        #expect(Date() >= ends.addingTimeInterval(-1), "closed before the certificate ended")
        try cp3.waitForEvent("closed", timeout: 10)
    }

    @Test func aCertificateForItsIdGetsInAndEverythingElseIsRefused() throws {
        let folder = try Self.certificates()
        let file = { (name: String) in folder.appendingPathComponent(name).path }
        let tls = ", tls: { certificate: \(file("server.crt")), key: \(file("server.key")), client_ca: \(file("ca.crt")) }"
        let site = try OCPPChargePointTests.startSite(["cp3", "cp2"], ocppExtra: tls, credentials: ["cp3": "security_profile: 3"])
        defer { site.bridge.stop() }
        let port = site.ocppPort
        // profile 3: its certificate (CN = its id), no password; profile 2 beside it: the password, no certificate
        let cp3 = try Self.chargePoint("cp3", port: port, folder: folder, certificate: "cp3", password: nil)
        defer { cp3.stop() }
        let cp2 = try Self.chargePoint("cp2", port: port, folder: folder, certificate: nil, password: OCPPChargePointTests.password)
        defer { cp2.stop() }
        try cp3.waitFor("ready")
        try cp2.waitFor("ready")
        try cp3.waitForEvent("profile") { $0["stack"] as? Int == 0 }
        #expect(site.bridge.text.contains("listening on wss://"))

        // another charge point's certificate: 403
        let borrowed = try Self.chargePoint("cp3", port: port, folder: folder, certificate: "cp2", password: nil)
        defer { borrowed.stop() }
        #expect(try borrowed.waitForEvent("refused", timeout: 20)["status"] as? Int == 403)
        // no certificate at all, even with a password: 403
        let bare = try Self.chargePoint("cp3", port: port, folder: folder, certificate: nil, password: OCPPChargePointTests.password)
        defer { bare.stop() }
        #expect(try bare.waitForEvent("refused", timeout: 20)["status"] as? Int == 403)
        // profile 2 with its certificate but without its password: 401, the certificate stands in for nothing
        let noPassword = try Self.chargePoint("cp2", port: port, folder: folder, certificate: "cp2", password: nil)
        defer { noPassword.stop() }
        #expect(try noPassword.waitForEvent("refused", timeout: 20)["status"] as? Int == 401)
        // the right name signed by another CA: the TLS handshake fails, no HTTP answer at all
        let stranger = try Self.chargePoint("cp3", port: port, folder: folder, certificate: "cp3-other-ca", password: nil)
        defer { stranger.stop() }
        try stranger.waitForEvent("connect_error", timeout: 20)
        #expect(stranger.jsonEvents("refused").isEmpty && stranger.jsonEvents("connected").isEmpty)

        try site.bridge.waitFor("OCPP TLS handshake from 127.0.0.1 failed")
        let lines = site.bridge.text.split(separator: "\n").filter { $0.contains("OCPP connection from") }
        print(site.bridge.text.split(separator: "\n").filter { $0.contains("OCPP TLS handshake") || $0.contains("OCPP connection from") }.joined(separator: "\n"))
        #expect(lines.contains { $0.contains("client certificate CN is not the charge point id") && $0.contains("certificate CN \"cp2\"") }, "\(lines)")
        #expect(lines.contains { $0.contains("no client certificate") }, "\(lines)")
        #expect(lines.contains { $0.contains("no basic-auth password") && $0.contains("\"cp2\"") }, "\(lines)")
        // the admitted ones stayed connected through it all
        #expect(cp3.jsonEvents("closed").isEmpty && cp2.jsonEvents("closed").isEmpty)
    }
}
