import StorageModel

/// The way each OCPP charge point last accepted its current limit (the fallback ladder,
/// docs/OCPP.md), kept under a setting per charger so that a restart starts the ladder there
/// instead of trying the refused ways again. Stored as the way's MQTT word (`tx_profile`, ...).
extension ChargeDatabase {
    public static func profileWayKey(charger: String) -> String { "ocpp.profile_way.\(charger)" }

    /// The change that remembers `way` (written by the recorder, off the connection's thread).
    public static func rememberProfileWay(_ way: String, charger: String, at time: Double) -> StorageChange {
        .setting(key: profileWayKey(charger: charger), value: way, at: time)
    }

    public static func notSteerableKey(charger: String) -> String { "ocpp.not_steerable.\(charger)" }

    /// The change that records that `charger` refused every way (`since`: when, as the text
    /// shown), or, with nil, that it takes one again.
    public static func rememberNotSteerable(since: String?, charger: String, at time: Double) -> StorageChange {
        .setting(key: notSteerableKey(charger: charger), value: since ?? "", at: time)
    }

    /// When `charger` was last found to refuse every way (nil: it was not, or takes one since).
    public func notSteerableSince(charger: String) throws(StorageError) -> String? {
        try setting(Self.notSteerableKey(charger: charger)).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The way remembered for `charger` (nil: none yet).
    public func profileWay(charger: String) throws(StorageError) -> String? {
        try setting(Self.profileWayKey(charger: charger))
    }
}
