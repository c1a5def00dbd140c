/// Where a standby pair meets on the broker, below the site's MQTT prefix.
public struct StandbyTopics: Sendable, Equatable {
    /// The lease: the leader's record, retained; its last will clears it.
    public let leader: String
    /// The main instance asks the leading backup to hand back (not retained).
    public let handBack: String
    /// The leader's operator settings, retained: the standby keeps them in step.
    public let settings: String
    /// Each instance's own state (LeadershipStatus as JSON, retained; `offline` as its last will).
    public let instance: String

    public init(prefix: String, instance: String) {
        let base = prefix + "/standby"
        leader = base + "/leader"
        handBack = base + "/handback"
        settings = base + "/settings"
        self.instance = base + "/instance/" + instance
    }
}
