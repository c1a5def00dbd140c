/// The kinds of the event log (the `kind` column).
public enum EventKind: String, Sendable, CaseIterable {
    case serviceStarted = "service-started", serviceStopped = "service-stopped", configurationLoaded = "configuration-loaded"
    case failsafeEntered = "failsafe-entered", failsafeLeft = "failsafe-left"
    case masterConnected = "master-connected", masterReplaced = "master-replaced", masterDisconnected = "master-disconnected"
    case meterLost = "meter-lost", meterRecovered = "meter-recovered"
    case loadSheddingOn = "load-shedding-on", loadSheddingOff = "load-shedding-off", inputChanged = "input-changed"
    case settingChanged = "setting-changed"
    case chargerOffline = "charger-offline", chargerOnline = "charger-online"
    /// A standby pair: this instance took the lease and steers the chargers, let go of them, or stands by.
    case leaderTookOver = "leader-took-over", leaderReleased = "leader-released", standbyStarted = "standby-started"
    /// A zone's remote setpoint: a controller set it, or went silent (the zone's failsafe limit).
    case zoneSetpointChanged = "zone-setpoint-changed", zoneSetpointFailsafe = "zone-setpoint-failsafe"
    /// The tariff the utility's meter says is counting changed (off-peak from the TIC or P1).
    case tariffChanged = "tariff-changed"
    /// The utility's power limit on the chargers (§14a dimming) began or changed, or ended.
    case utilityLimitStarted = "utility-limit", utilityLimitEnded = "utility-limit-ended"
    /// The gateway the utility's limit is read from failed (heartbeat stopped, unreadable, a bad
    /// value: the failsafe limit holds), or proved alive again.
    case utilityGatewayFailsafe = "utility-gateway-failsafe", utilityGatewayRecovered = "utility-gateway-recovered"
    /// The grid power stayed beyond a G100 import or export limit, or came back within it.
    case connectionLimitExceeded = "g100-limit-exceeded", connectionLimitRestored = "g100-limit-restored"
}
