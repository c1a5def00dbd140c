import RegisterMaps
import ServiceConfiguration
import Testing

/// `ocpp.tls.client_ca` and each charger's `ocpp.security_profile`: defaults, and the combinations
/// one server cannot serve refused with their file and line.
@Suite("OCPP security profile configuration")
struct OCPPSecurityConfigurationTests {
    /// Any readable file: the configuration only checks that the PEM files can be read.
    static let readable = #filePath

    static func site(tls: String?, chargers: [String]) -> String {
        let server = tls.map { ", tls: { certificate: \(readable), key: \(readable)\($0) }" } ?? ""
        return """
            ocpp: { port: 9100\(server) }
            chargers:
            \(chargers.enumerated().map { "  - { id: c\($0.offset), driver: ocpp, ocpp: { \($0.element) }, modbus: { port: \(1600 + $0.offset) } }" }.joined(separator: "\n"))
            """
    }

    static func parse(tls: String?, _ chargers: String...) throws -> Configuration {
        try Configuration.parse(site(tls: tls, chargers: chargers), file: "site.yaml")
    }

    static func error(tls: String?, _ chargers: String...) -> DataFileError? {
        do { _ = try Configuration.parse(site(tls: tls, chargers: chargers), file: "site.yaml"); return nil } catch { return error }
    }

    @Test func theProfileDefaultsToOneWithoutTLSAndTwoWithIt() throws {
        #expect(try Self.parse(tls: nil, "password: secret-123").chargers[0].ocpp?.securityProfile == 1)
        #expect(try Self.parse(tls: "", "password: secret-123").chargers[0].ocpp?.securityProfile == 2)
        let config = try Self.parse(tls: ", client_ca: \(Self.readable)", "security_profile: 3", "password: secret-123")
        #expect(config.ocpp?.clientCA == Self.readable)
        #expect(config.chargers.map { $0.ocpp?.securityProfile } == [3, 2])
        #expect(config.chargers[0].ocpp?.password == nil)
    }

    @Test func profileThreeMayKeepAPasswordWhichMustStillBeValid() throws {
        let config = try Self.parse(tls: ", client_ca: \(Self.readable)", "security_profile: 3, password: secret-123")
        #expect(config.chargers[0].ocpp?.password == "secret-123")
        #expect(Self.error(tls: ", client_ca: \(Self.readable)", "security_profile: 3, password: short")?.message.contains("8–40") == true)
    }

    @Test func profilesTheServerCannotServeAreErrorsWithTheirLine() throws {
        let noCA = try #require(Self.error(tls: "", "security_profile: 3"))
        #expect(noCA.line == 3 && noCA.field == "chargers[0].ocpp.security_profile" && noCA.message.contains("client_ca"), "\(noCA)")
        #expect(noCA.description.hasPrefix("site.yaml:3:"))
        let plainOnTLS = try #require(Self.error(tls: "", "security_profile: 1, password: secret-123"))
        #expect(plainOnTLS.line == 3 && plainOnTLS.message.contains("wss://"), "\(plainOnTLS)")
        for profile in [2, 3] {
            let noTLS = try #require(Self.error(tls: nil, "security_profile: \(profile), password: secret-123"))
            #expect(noTLS.line == 3 && noTLS.message.contains("needs TLS"), "\(noTLS)")
        }
        #expect(Self.error(tls: "", "security_profile: 4, password: secret-123") != nil)
    }

    @Test func onlyProfileThreeGoesWithoutAPassword() throws {
        let missing = try #require(Self.error(tls: "", "security_profile: 2"))
        #expect(missing.field == "chargers[0].ocpp.password" && missing.message.contains("security_profile: 3"), "\(missing)")
        #expect(Self.error(tls: nil, "connector: 1")?.field == "chargers[0].ocpp.password")
    }

    @Test func aClientCANobodyUsesOrCannotBeReadIsAnError() throws {
        let unused = try #require(Self.error(tls: ", client_ca: \(Self.readable)", "password: secret-123"))
        #expect(unused.line == 1 && unused.field == "ocpp.tls.client_ca" && unused.message.contains("no charger has security_profile: 3"), "\(unused)")
        let unreadable = try #require(Self.error(tls: ", client_ca: /nonexistent/ca.pem", "security_profile: 3"))
        #expect(unreadable.field == "ocpp.tls.client_ca" && unreadable.message.contains("cannot read"), "\(unreadable)")
    }
}
