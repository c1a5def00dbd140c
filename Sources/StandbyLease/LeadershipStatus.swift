/// This instance's part in a standby pair, as health, the status page and the metrics show it.
public struct LeadershipStatus: Encodable, Equatable, Sendable {
    public var instance: String
    /// `main` or `backup`.
    public var role: String
    /// A `LeaseMachine.Phase`: standby, claiming, leader, releasing or returning.
    public var state: String
    /// The instance holding the lease, as this one last saw it (nil: none).
    public var leader: String?
    /// Whether this instance is connected to the broker that holds the lease.
    public var brokerConnected: Bool

    package init(instance: String, role: String, state: String, leader: String? = nil, brokerConnected: Bool) {
        self.instance = instance
        self.role = role
        self.state = state
        self.leader = leader
        self.brokerConnected = brokerConnected
    }

    public var leading: Bool { state == LeaseMachine.Phase.leader.rawValue }

    enum CodingKeys: String, CodingKey {
        case instance, role, state, leader, brokerConnected = "broker_connected"
    }
}
