import Authorization
import Foundation
import ServiceSupport
import Synchronization
import Testing

/// The backends asked about tags in `backend` mode, and the answers kept for the start that follows.
@Suite("Backend tags")
struct BackendTagsTests {
    /// A backend that answers at once: Blocked for tags starting with "BAD", unreachable for "DOWN".
    static let backend: BackendTags.Ask = { tag, reply in
        reply(tag.hasPrefix("DOWN") ? .unreachable : .answered(tag.hasPrefix("BAD") ? .blocked : .accepted))
    }

    @Test func anAnswerIsKeptAndUnreachableIsNot() {
        let tags = BackendTags()
        #expect(!tags.canAsk(charger: "cp1"))
        #expect(!tags.ask(charger: "cp1", tag: "T1") { _ in })          // no uplink: not asked
        tags.register(charger: "cp1", ask: Self.backend)
        let replies = Mutex<[BackendAnswer]>([])
        #expect(tags.ask(charger: "cp1", tag: "BAD1") { answer in replies.withLock { $0.append(answer) } })
        #expect(tags.ask(charger: "cp1", tag: "DOWN1") { answer in replies.withLock { $0.append(answer) } })
        #expect(replies.withLock { $0 } == [.answered(.blocked), .unreachable])
        #expect(tags.answer(charger: "cp1", tag: "BAD1", wall: Date()) == .answered(.blocked))
        #expect(tags.answer(charger: "cp1", tag: "DOWN1", wall: Date()) == nil)
        #expect(tags.answer(charger: "cp2", tag: "BAD1", wall: Date()) == nil)      // per charger
        #expect(tags.answer(charger: "cp1", tag: "BAD1", wall: Date().addingTimeInterval(BackendTags.keptFor + 1)) == nil)
    }

    @Test func aStrangerPresentingTagAfterTagCannotGrowTheTable() {
        let tags = BackendTags()
        tags.register(charger: "cp1", ask: Self.backend)
        for n in 0..<(BackendTags.capacity + 50) { _ = tags.ask(charger: "cp1", tag: "T\(n)") { _ in } }
        #expect(tags.kept <= BackendTags.capacity)
        #expect(tags.answer(charger: "cp1", tag: "T\(BackendTags.capacity + 49)", wall: Date()) == .answered(.accepted))
    }
}
