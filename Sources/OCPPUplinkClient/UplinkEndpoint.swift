import Foundation

/// Where a forwarded charger's backend is: `ws://host[:port]/path` or `wss://…`, the charge point id
/// appended to the path (OCPP-J 1.6 §3.1.1), basic auth (security profile 1 or 2), trust for wss.
public struct UplinkEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The path up to the charge point id, without a trailing slash.
    public var path: String
    public var tls: Bool
    public var chargePointId: String
    public var password: String?
    /// PEM file of the certificate authorities to trust (nil: the system's).
    public var caFile: String?

    /// nil when `url` is not a ws:// or wss:// URL with a host.
    public init?(url: String, chargePointId: String, password: String?, caFile: String? = nil) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), scheme == "ws" || scheme == "wss",
              let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil else { return nil }
        self.host = host
        tls = scheme == "wss"
        port = components.port ?? (tls ? 443 : 80)
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
        self.chargePointId = chargePointId
        self.password = password
        self.caFile = caFile
    }

    /// The request target of the upgrade: the path and the charge point id.
    public var target: String {
        let id = chargePointId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? chargePointId
        return "\(path)/\(id)"
    }

    public var url: String { "\(tls ? "wss" : "ws")://\(host):\(port)\(target)" }

    /// `Authorization: Basic …` with the charge point id as user (nil: no password).
    public var authorization: String? {
        password.map { "Basic " + Data("\(chargePointId):\($0)".utf8).base64EncodedString() }
    }
}
