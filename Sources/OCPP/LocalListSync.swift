import Foundation
import Authorization

/// Keeps a 1.6 charge point's own local list (Local Auth List Management profile) equal to the
/// bridge's, as it applies to that charger: after each boot it asks whether the charger has the
/// profile (GetConfiguration SupportedFeatureProfiles), then its list version
/// (GetLocalListVersion), and sends what differs (SendLocalList: Differential when it still has
/// a version this side knows, else Full). Again whenever the bridge's list changes. Pure: the
/// driver asks `next` for a call and hands back the answers.
public struct LocalListSync: Sendable {
    public struct Call: Sendable, Equatable {
        public var action: String
        public var payload: JSONValue
        public var key: String
    }

    enum Step: Sendable, Equatable {
        case askFeatures, waitFeatures, askVersion, waitVersion, waitSend, idle
    }

    /// The charger has the profile (nil: not known yet on this connection).
    public private(set) var supported: Bool?
    /// The version its list has (known after GetLocalListVersion or an accepted SendLocalList).
    public private(set) var chargerVersion: Int?
    /// What the charger's list holds at a version (kept across reconnects: it keeps its list).
    private var known: (version: Int, entries: [String: ListEntry])?
    private var sending: (version: Int, entries: [String: ListEntry])?
    /// A version the charger refused: not sent again until the list changes.
    private var refusedVersion: Int?
    private var step = Step.idle
    /// VersionMismatch answers on this connection: after two, the version is given up on.
    private var mismatches = 0

    /// OCPP 1.6 localAuthorizationList ids are CiString20; longer ones cannot be sent.
    static let maxIdTag = 20

    public init() {}

    /// A new connection booted: everything is asked again.
    public mutating func booted() {
        supported = nil
        chargerVersion = nil
        sending = nil
        refusedVersion = nil     // a refusal or a lost answer is tried again once per connection
        mismatches = 0
        step = .askFeatures
    }

    /// The next call to make, if any. `rules` say whether the charger needs a list at all.
    public mutating func next(list: LocalList, rules: ChargerAuthorization) -> Call? {
        guard rules.usesList else { return nil }
        switch step {
        case .askFeatures:
            step = .waitFeatures
            return Call(action: "GetConfiguration", payload: ["key": ["SupportedFeatureProfiles"]], key: "list.features")
        case .idle where supported == true && chargerVersion != list.version && refusedVersion != list.version,
             .askVersion:
            step = .waitVersion
            return Call(action: "GetLocalListVersion", payload: [:], key: "list.version")
        default:
            return nil
        }
    }

    /// An answer to one of our calls (`key` as given in the call); returns what is worth logging.
    public mutating func answered(key: String, _ answer: Result<JSONValue, OCPPFailure>, list: LocalList, rules: ChargerAuthorization) -> (call: Call?, note: String?) {
        switch (key, answer) {
        case ("list.features", .success(let payload)):
            let value = payload["configurationKey"]?.array?.first { $0["key"]?.string == "SupportedFeatureProfiles" }?["value"]?.string ?? ""
            supported = value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "LocalAuthListManagement" }
            step = supported == true ? .askVersion : .idle
            return (next(list: list, rules: rules), supported == true ? nil : "local list: the charge point has no LocalAuthListManagement; not sent")
        case ("list.features", .failure):
            supported = false
            step = .idle
            return (nil, "local list: the charge point did not say its feature profiles; not sent")
        case ("list.version", .success(let payload)):
            // (not asked again on this connection: it would be asked at every answer)
            guard let version = payload["listVersion"]?.number.flatMap({ Int(exactly: $0) }) else {
                supported = false
                step = .idle
                return (nil, "local list: GetLocalListVersion without a version; not sent on this connection")
            }
            if version < 0 {
                supported = false
                step = .idle
                return (nil, "local list: the charge point has its local list disabled")
            }
            chargerVersion = version
            guard version != list.version else {
                step = .idle
                return (nil, nil)
            }
            let target = ChargerListView.entries(list, rules: rules).filter { $0.key.count <= Self.maxIdTag && ($0.value.parentIdTag?.count ?? 0) <= Self.maxIdTag }
            let update = ListSync.update(known: known?.version == version ? known?.entries : nil, target: target, version: list.version)
            sending = (list.version, target)
            step = .waitSend
            return (Call(action: "SendLocalList", payload: Self.payload(update), key: "list.send"),
                    "local list: version \(version) on the charge point, sending \(update.kind.rawValue) version \(list.version) (\(update.changes.count) entries)")
        case ("list.send", .success(let payload)):
            let status = payload["status"]?.string ?? "?"
            step = .idle
            guard let sent = sending else { return (nil, nil) }
            sending = nil
            switch status {
            case "Accepted":
                known = sent
                chargerVersion = sent.version
                refusedVersion = nil
                return (next(list: list, rules: rules), "local list: version \(sent.version) accepted")
            case "VersionMismatch":
                mismatches += 1
                guard mismatches < 2 else {
                    refusedVersion = sent.version
                    return (nil, "local list: version mismatch again; version \(sent.version) not sent on this connection")
                }
                // its version is not what it told us: ask again, then a full list
                known = nil
                step = .askVersion
                return (next(list: list, rules: rules), "local list: version mismatch; asking again")
            default:
                refusedVersion = sent.version
                return (nil, "local list: version \(sent.version) \(status) by the charge point")
            }
        case (_, .failure(let failure)):
            step = .idle
            // not in a loop: a failed send waits for a new list or connection, a failed ask for a new connection
            if key == "list.send" { refusedVersion = sending?.version } else { supported = false }
            sending = nil
            return (nil, "local list: \(key == "list.send" ? "SendLocalList" : "GetLocalListVersion") failed: \(failure.description)")
        default:
            return (nil, nil)
        }
    }

    static func payload(_ update: ListSync.Update) -> JSONValue {
        let entries: [JSONValue] = update.changes.map { change in
            guard let entry = change.entry else { return ["idTag": .string(change.idTag)] }
            var info: [String: JSONValue] = ["status": .string(entry.status.rawValue)]
            if let expiry = entry.expiry { info["expiryDate"] = .string(OCPPTime.format(expiry)) }
            if let parent = entry.parentIdTag { info["parentIdTag"] = .string(parent) }
            return ["idTag": .string(change.idTag), "idTagInfo": .object(info)]
        }
        return ["listVersion": .number(Double(update.version)), "updateType": .string(update.kind == .full ? "Full" : "Differential"),
                "localAuthorizationList": .array(entries)]
    }
}
