/// Which connections an exclusive listener keeps when a new one arrives. Masters are never
/// counted nor evicted. The others wait in two pools, so that nobody who may not write can push
/// out an energy manager that reconnects from an address in `allow_write`:
/// - **writers**: connections from addresses allowed to write, not master yet; `writerSlots` of
///   them, the oldest gives way to a newer one;
/// - **readers**: connections from addresses that may not write; `maxReaders` of them (0: none are
///   served), the oldest gives way.
/// When everyone may write (no `allow_write`), a writer is not told from a reader until it writes:
/// all wait in one pool of `max(1, maxReaders)`.
public enum ConnectionAdmission {
    public static let writerSlots = 4

    public struct Waiting: Equatable, Sendable {
        public let id: Int32
        /// Order of arrival (smaller is older).
        public let opened: UInt64
        public let mayWrite: Bool

        public init(id: Int32, opened: UInt64, mayWrite: Bool) {
            self.id = id
            self.opened = opened
            self.mayWrite = mayWrite
        }
    }

    public enum Decision: Equatable, Sendable {
        /// Keep the newcomer, closing `evicting` first when it is set.
        case admit(evicting: Int32?)
        /// Close the newcomer.
        case refuse
    }

    /// - Parameters:
    ///   - waiting: the listener's connections that are master of nothing.
    ///   - everyoneMayWrite: the listener has no `allow_write` and is not read-only.
    public static func decide(newcomerMayWrite: Bool, waiting: [Waiting], maxReaders: Int, everyoneMayWrite: Bool) -> Decision {
        let pool: [Waiting], size: Int
        if everyoneMayWrite {
            (pool, size) = (waiting, max(1, maxReaders))
        } else if newcomerMayWrite {
            (pool, size) = (waiting.filter(\.mayWrite), writerSlots)
        } else {
            (pool, size) = (waiting.filter { !$0.mayWrite }, maxReaders)
        }
        guard size > 0 else { return .refuse }
        guard pool.count >= size else { return .admit(evicting: nil) }
        return .admit(evicting: pool.min { $0.opened < $1.opened }?.id)
    }
}
