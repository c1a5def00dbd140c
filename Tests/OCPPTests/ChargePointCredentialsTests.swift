import Foundation
import OCPP
import Testing

@Suite("OCPP security profiles")
struct ChargePointCredentialsTests {
    /// openssl: "/C=DE/O=Example CPO/CN=CP-CARPORT-1" signed by "/CN=Example Root" (a v1 certificate: no version field).
    static let carport = "MIIBSjCB8gIUaKb3PI/dY47bI2DDFYKOGs6yJaIwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMRXhhbXBsZSBSb290MB4XDTI2MTIwMzEzMDgzNVoXDTM2MTEzMDEzMDgzNVowOjELMAkGA1UEBhMCREUxFDASBgNVBAoMC0V4YW1wbGUgQ1BPMRUwEwYDVQQDDAxDUC1DQVJQT1JULTEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQYeIqvNo8s+2ctzaXhCTvipT9Oz9IXLEPjVxxLrXFKaDXixzresU9UTlTyWC/qZyAqOpHUSDBIHVsyruT3/vIGMAoGCCqGSM49BAMCA0cAMEQCICbdgkJT9YDymZeVBiGQzhXC2h4dz8a9pmXLGFQoU69HAiBrZO2EcifdCs8MGL0+Gjz3TioQdZwY4E9am3urKnsdHA=="
    /// openssl: "/CN=cp3" signed by "/CN=Example Root", v3 with extendedKeyUsage=clientAuth.
    static let cp3 = "MIIBfTCCASSgAwIBAgIUaKb3PI/dY47bI2DDFYKOGs6yJaMwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMRXhhbXBsZSBSb290MB4XDTI2MTIwMzEzMDg0MFoXDTM2MTEzMDEzMDg0MFowDjEMMAoGA1UEAwwDY3AzMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2iycALSggucyh7uQNNmANqVcNMeezLzjx1lKtKSVr4rSzKMDmvLe46JXVNCCY8GJsPkb5iyJqBuqxGdusTwUJqNXMFUwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0OBBYEFJO8uMls8/aeHbqY1rK1C1keYmdsMB8GA1UdIwQYMBaAFO49E8b1w57sOHLqRDKEkV+Z+t4+MAoGCCqGSM49BAMCA0cAMEQCHzy5oVhn2zgu5X4C1dcfzYtayQmaIXP/Vmar5DrBdasCIQDWAkaJk2UYUYhLD1nm5ONaaWJNtdCntMAtoFiuqRmeNg=="
    /// openssl: self-signed "/CN=cp1/CN=cp2": two names, neither may be taken.
    static let twoNames = "MIIBjTCCATOgAwIBAgIUbHWxPxhesnRtfOQH+XiRB4tWA7UwCgYIKoZIzj0EAwIwHDEMMAoGA1UEAwwDY3AxMQwwCgYDVQQDDANjcDIwHhcNMjYxMjAzMTMwODMwWhcNMzYxMTMwMTMwODMwWjAcMQwwCgYDVQQDDANjcDExDDAKBgNVBAMMA2NwMjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABD0B9sNG1QnAIENocoLwtTfGlAUk/vjdqmVVp6Te4D1yG8aNkMYx3O09q0No8FcmMAEsordfdyyYAtlUMOK9qmyjUzBRMB0GA1UdDgQWBBQPy2Ly4zzHjJY9ro2nsEZdB5b25zAfBgNVHSMEGDAWgBQPy2Ly4zzHjJY9ro2nsEZdB5b25zAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCo79jrVbc4/5aOa/EV74OykJS9EVepLdlnQehOYO3RugIgJINkJ9leejZom9qSbiDK2uBEg9l7hvXkTYmvXxcBXl4="

    static func der(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }

    @Test func theSubjectCommonNameIsReadNotTheIssuers() {
        #expect(CertificateSubject.commonName(der: Self.der(Self.carport)) == "CP-CARPORT-1")
        #expect(CertificateSubject.commonName(der: Self.der(Self.cp3)) == "cp3")
    }

    @Test func twoNamesOrBrokenBytesGiveNoName() {
        #expect(CertificateSubject.commonName(der: Self.der(Self.twoNames)) == nil)
        let whole = Self.der(Self.cp3)
        // every truncation and a flipped length byte: nil or a name, never a crash or a read past the end
        for length in 0..<whole.count { #expect(CertificateSubject.commonName(der: Array(whole.prefix(length))) == nil) }
        var lying = whole
        lying[1] = 0xFF   // "the next 127 bytes give the length"
        #expect(CertificateSubject.commonName(der: lying) == nil)
        #expect(CertificateSubject.commonName(der: []) == nil)
        #expect(CertificateSubject.commonName(der: Array("not a certificate".utf8)) == nil)
    }

    @Test func profileThreeNeedsACertificateForItsOwnId() {
        let certificateOnly = ChargePointCredentials(securityProfile: 3, password: nil)
        #expect(certificateOnly.refusal(id: "cp3", password: nil, certificateName: "cp3") == nil)
        #expect(certificateOnly.refusal(id: "cp3", password: "anything-at-all", certificateName: "cp3") == nil)
        #expect(certificateOnly.refusal(id: "cp3", password: nil, certificateName: "cp2") == .certificateMismatch)
        #expect(certificateOnly.refusal(id: "cp3", password: nil, certificateName: "CP3") == .certificateMismatch)
        #expect(certificateOnly.refusal(id: "cp3", password: "secret-123", certificateName: nil) == .noCertificate)
        // a password configured for profile 3 is checked as well
        let both = ChargePointCredentials(securityProfile: 3, password: "secret-123")
        #expect(both.refusal(id: "cp3", password: "secret-123", certificateName: "cp3") == nil)
        #expect(both.refusal(id: "cp3", password: nil, certificateName: "cp3") == .noPassword)
        #expect(both.refusal(id: "cp3", password: "secret-124", certificateName: "cp3") == .wrongPassword)
        #expect(both.refusal(id: "cp3", password: "secret-123", certificateName: nil) == .noCertificate)
    }

    @Test func aCertificateNeverStandsInForAProfileTwoPassword() {
        for profile in [1, 2] {
            let credentials = ChargePointCredentials(securityProfile: profile, password: "secret-123")
            #expect(credentials.refusal(id: "cp2", password: "secret-123", certificateName: nil) == nil)
            #expect(credentials.refusal(id: "cp2", password: nil, certificateName: "cp2") == .noPassword)
            #expect(credentials.refusal(id: "cp2", password: "secret-12", certificateName: "cp2") == .wrongPassword)
            #expect(credentials.refusal(id: "cp2", password: "secret-1234", certificateName: nil) == .wrongPassword)
        }
        // no password configured outside profile 3 (the configuration forbids it): nobody gets in
        #expect(ChargePointCredentials(securityProfile: 2, password: nil).refusal(id: "cp2", password: "x", certificateName: "cp2") == .noPassword)
    }
}
