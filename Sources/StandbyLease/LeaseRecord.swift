import Foundation
import ServiceConfiguration
import ServiceSupport

/// What an instance publishes about itself on the broker: as the retained leader record (the lease),
/// and as a hand-back request. `nonce` is new at every process start, so a record with this
/// instance's name but another nonce is left from a previous life (killed before its will ran).
public struct LeaseRecord: Codable, Sendable, Equatable {
    public var instance: String
    /// `main` or `backup`.
    public var role: String
    public var nonce: String
    /// Wall-clock seconds (informational: decisions use the receiver's own monotonic clock).
    public var since: Double
    public var renewed: Double
    /// A tombstone: this instance let go of the chargers (it stopped, or handed back) — nobody
    /// leads, and whoever claims next may start at once. An empty topic (a last will) says less:
    /// the leader vanished, and may still be steering for a moment if it was only cut off.
    public var released: Bool?
    /// When the sender published it, on the sender's own monotonic clock: a leader counts its lease
    /// from when its newest renewal that came back was *sent*, so an echo that arrives late does
    /// not stretch it (meaningless to any other instance).
    public var sent: Double?

    public init(instance: String, role: String, nonce: String, since: Double = 0, renewed: Double = 0, released: Bool? = nil,
                sent: Double? = nil) {
        self.instance = instance
        self.role = role
        self.nonce = nonce
        self.since = since
        self.renewed = renewed
        self.released = released
        self.sent = sent
    }

    public var isTombstone: Bool { released == true }

    public var json: String { (try? SortedJSON.text(self)) ?? "{}" }

    /// An empty payload is no record (the topic was cleared); anything else must decode fully.
    public static func parse(_ payload: [UInt8]) throws -> LeaseRecord? {
        guard !payload.isEmpty else { return nil }
        let record = try JSONDecoder().decode(LeaseRecord.self, from: Data(payload))
        // names end up in logs and on the status page: only what a configured instance name may be
        guard StandbySettings.checkInstance(record.instance) == nil, ["main", "backup"].contains(record.role),
              (1...64).contains(record.nonce.count), record.nonce.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw LeaseRecordError("a lease record needs an instance name, role main or backup, and a nonce")
        }
        return record
    }
}

struct LeaseRecordError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
