extension RegisterMap {
    /// Identity and fixed facts of a charger (`identity.*`, its rated power, whether it is
    /// three-phase): read once per connection, not every poll.
    public static func isChargerIdentity(_ name: String) -> Bool {
        name.hasPrefix("identity.") || name == "charger.rated_power" || name == "charger.three_phase"
    }

    /// What the charger driver reads every poll period: every readable quantity but the identity.
    public var chargerStatusQuantities: [Quantity] { quantities.filter { !$0.writable && !Self.isChargerIdentity($0.name) } }

    /// What the charger driver reads once per connection.
    public var chargerIdentityQuantities: [Quantity] { quantities.filter { !$0.writable && Self.isChargerIdentity($0.name) } }

    /// Requests one status poll of the charger driver takes (as the planner merges them).
    public var chargerStatusRequests: Int { BlockPlanner.plan(chargerStatusQuantities, settings: planner).count }
}
