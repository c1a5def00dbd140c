/// What a charge point must show at the WebSocket upgrade, by its OCPP security profile (OCPP 1.6
/// Security Whitepaper; OCPP 2.0.1 Part 2, A00): 1 and 2 a basic-auth password (2 over TLS), 3 a
/// client certificate that TLS verified against the configured CA and whose subject CN is the
/// charge point id, and the password as well when one is configured. A certificate never stands
/// in for the password of a profile 1 or 2 charge point.
public struct ChargePointCredentials: Sendable, Equatable {
    public var securityProfile: Int
    /// Required for profiles 1 and 2; optional for 3.
    public var password: String?

    public init(securityProfile: Int, password: String?) {
        self.securityProfile = securityProfile
        self.password = password
    }

    /// Why the upgrade is refused, or nil: admitted. `password`: the basic-auth password sent (nil:
    /// none); `certificateName`: the verified client certificate's subject CN (nil: no certificate).
    public func refusal(id: String, password sent: String?, certificateName: String?) -> RefusalThrottle.Kind? {
        if securityProfile == 3 {
            guard let certificateName else { return .noCertificate }
            guard certificateName == id else { return .certificateMismatch }
        }
        guard let expected = password else { return securityProfile == 3 ? nil : .noPassword }
        guard let sent else { return .noPassword }
        return Self.same(sent, expected) ? nil : .wrongPassword
    }

    /// Compares without stopping at the first difference.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = x.count ^ y.count
        for index in 0..<min(x.count, y.count) { difference |= Int(x[index] ^ y[index]) }
        return difference == 0
    }
}
