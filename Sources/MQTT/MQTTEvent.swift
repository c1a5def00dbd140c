/// What the client reports, in order, on its `events` stream.
public enum MQTTEvent: Sendable, Equatable {
    /// The broker accepted the connection (after every reconnect too): subscribe and republish now.
    case connected
    /// The connection was lost or refused; the client retries with backoff.
    case disconnected(reason: String)
    case message(topic: String, payload: [UInt8], retained: Bool)
}

public struct MQTTError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
