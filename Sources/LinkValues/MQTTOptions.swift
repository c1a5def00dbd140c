/// How to reach the broker and who the client is.
public struct MQTTOptions: Sendable, Equatable {
    public enum ProtocolVersion: String, Sendable, CaseIterable { case v311 = "3.1.1", v5 = "5" }

    /// TLS towards the broker: the CA that signed the broker's certificate, and a client
    /// certificate and key when the broker asks for one.
    public struct TLS: Sendable, Equatable {
        public var caFile: String
        public var certFile: String?
        public var keyFile: String?
        /// Skips the check that the broker's certificate names `host` (test set-ups only).
        public var insecure = false
        public init(caFile: String, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    /// A retained message the broker publishes for the client when it vanishes.
    public struct Will: Sendable, Equatable {
        public var topic: String
        public var payload: String
        public init(topic: String, payload: String) {
            self.topic = topic
            self.payload = payload
        }
    }

    public var host = "127.0.0.1"
    public var port = 1883
    public var protocolVersion = ProtocolVersion.v311
    public var clientID = "chargebridge"
    public var username: String?
    public var password: String?
    public var tls: TLS?
    public var keepalive = 30
    public var will: Will?
    /// Reconnect backoff: the first retry after `reconnectMin` seconds, doubling up to `reconnectMax`.
    public var reconnectMin = 1.0
    public var reconnectMax = 60.0

    public init() {}
}
