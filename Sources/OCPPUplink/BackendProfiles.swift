import Foundation
import OCPP

/// The profiles the backend set on one forwarded charger, as OCPP 1.6 §3.13 stacks them: per
/// purpose the valid profile with the highest stack level counts; a TxProfile overrides the
/// TxDefaultProfile during its transaction; the ChargePointMaxProfile caps both. The result is one
/// more cap for load management, never a request. Pure.
public struct BackendProfiles: Sendable, Equatable {
    public private(set) var profiles: [BackendProfile] = []

    public init(_ profiles: [BackendProfile] = []) { self.profiles = profiles }

    /// Adds a profile: one with the same id, or the same purpose and stack level, is replaced (§5.16).
    public mutating func install(_ profile: BackendProfile) {
        profiles.removeAll { $0.id == profile.id || ($0.purpose == profile.purpose && $0.stackLevel == profile.stackLevel) }
        profiles.append(profile)
    }

    /// ClearChargingProfile (§5.4): by id alone, or by every criterion given; returns how many went.
    @discardableResult
    public mutating func clear(id: Int?, connector: Int?, purpose: BackendProfile.Purpose?, stackLevel: Int?) -> Int {
        let before = profiles.count
        if let id {
            profiles.removeAll { $0.id == id }
        } else {
            profiles.removeAll { profile in
                (connector.map { $0 == profile.connector } ?? true) && (purpose.map { $0 == profile.purpose } ?? true)
                    && (stackLevel.map { $0 == profile.stackLevel } ?? true)
            }
        }
        return before - profiles.count
    }

    /// The transaction ended: its TxProfiles go with it.
    public mutating func transactionEnded() { profiles.removeAll { $0.purpose == .tx } }

    /// The backend's limit in amperes at `wall`; nil when no profile limits the charger then.
    public func limit(at wall: Date, transactionStart: Date?, phases: Int) -> Int? {
        func top(_ purpose: BackendProfile.Purpose) -> Int? {
            profiles.filter { $0.purpose == purpose }.sorted { $0.stackLevel > $1.stackLevel }
                .lazy.compactMap { $0.amperes(at: wall, transactionStart: transactionStart, phases: phases) }.first
        }
        let session = (transactionStart != nil ? top(.tx) : nil) ?? top(.txDefault)
        let station = top(.chargePointMax)
        switch (session, station) {
        case (nil, nil): return nil
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (let a?, let b?): return min(a, b)
        }
    }

    /// The profiles that outlive a restart (§3.13.2: TxDefault and ChargePointMax are kept), as
    /// stored: each its SetChargingProfile payload and when it was received.
    public var persistent: JSONValue {
        .array(profiles.filter { $0.purpose != .tx }.map { ["payload": $0.source, "received": .number($0.received.timeIntervalSince1970)] })
    }

    /// Reads what `persistent` wrote; entries that no longer parse are left out.
    public static func restore(_ stored: JSONValue) -> BackendProfiles {
        var set = BackendProfiles()
        for item in stored.array ?? [] {
            guard let payload = item["payload"], let received = item["received"]?.number,
                  let profile = try? BackendProfile.parse(payload, received: Date(timeIntervalSince1970: received)), profile.problem == nil else { continue }
            set.install(profile)
        }
        return set
    }
}
