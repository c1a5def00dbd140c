import Authorization
import Foundation
import OCPP
import StorageModel

/// What the bridge does with an id tag while the backend is unreachable (or does not answer).
public enum OfflineAuthorization: String, Sendable, CaseIterable {
    case acceptAll = "accept_all", localList = "local_list", reject
}

/// One forwarded charger's uplink, as the pure machine needs it.
public struct UplinkSettings: Sendable, Equatable {
    public var identity: UplinkIdentity
    /// The id tag of a transaction nobody presented a tag for.
    public var defaultIdTag = "chargebridge"
    /// True: a vehicle plugged in starts a transaction (with its tag, or the default one); false:
    /// the charger waits at 0 A for a tag presented locally or the backend's RemoteStartTransaction.
    public var autostart = true
    /// Until the backend's BootNotification answer gives its own.
    public var heartbeat: Double = 300
    public var meterInterval: Double = 60
    public var offline = OfflineAuthorization.localList
    /// The local list (`ocpp.authorize`); nil accepts every tag. Used when `localAuthorizer` is nil.
    public var localList: [String]?
    /// The site's authorization (its local list, UID format, postfix, modes) for `local_list`.
    public var localAuthorizer: TagAuthorizer?
    /// Most transaction messages kept for one charger while the backend is away.
    public var capacity = 1000
    /// The charger restarts on request (an OCPP charge point): the backend's Reset is passed on;
    /// otherwise it is answered Rejected.
    public var canReset = false
    /// The charger runs transactions of its own (an OCPP charge point: it authorizes a tag, then
    /// starts): the backend's transaction follows the charger's, with its tag, instead of
    /// starting at plug-in; the tag the charger kept from its last transaction is not a new one.
    public var followsTransactions = false
    /// The form the charger's status shows a tag in (an OCPP charger's: the local list's form);
    /// a tag its charge point presented is kept in that form.
    public var tagFormat = UIDFormat()
    public var callTimeout: Double = 30
    /// Makes message ids unique across connections and restarts.
    public var idPrefix: String

    public init(identity: UplinkIdentity, idPrefix: String) {
        self.identity = identity
        self.idPrefix = idPrefix
    }
}

/// What a restart finds in the database for one charger.
public struct UplinkRestored: Sendable, Equatable {
    public var journal: [JournalEntry] = []
    public var remoteIds: [Int64: Int] = [:]
    public var state: [String: JSONValue] = [:]
    public init(journal: [JournalEntry] = [], remoteIds: [Int64: Int] = [:], state: [String: JSONValue] = [:]) {
        self.journal = journal
        self.remoteIds = remoteIds
        self.state = state
    }

    /// What the database holds; rows that no longer parse are left out.
    public init(_ records: UplinkRecords) {
        self.init(journal: records.messages.compactMap(JournalEntry.init(row:)), remoteIds: records.remoteIds,
                  state: records.state.compactMapValues(JSONValue.parse))
    }
}

/// A transaction that runs toward the backend (kept across restarts).
public struct UplinkTransaction: Sendable, Equatable {
    public var local: Int64
    public var idTag: String
    public var meterStartWh: Double
    public var started: Date

    var json: JSONValue {
        ["local": .number(Double(local)), "idTag": .string(idTag), "meterStart": .number(meterStartWh), "started": .number(started.timeIntervalSince1970)]
    }

    init(local: Int64, idTag: String, meterStartWh: Double, started: Date) {
        self.local = local
        self.idTag = idTag
        self.meterStartWh = meterStartWh
        self.started = started
    }

    init?(_ json: JSONValue?) {
        guard let json, let local = json["local"]?.number, let tag = json["idTag"]?.string, let meter = json["meterStart"]?.number,
              let started = json["started"]?.number else { return nil }
        self.init(local: Int64(local), idTag: tag, meterStartWh: meter, started: Date(timeIntervalSince1970: started))
    }
}
