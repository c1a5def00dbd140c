import Authorization
import Foundation
import Synchronization

/// The CPO backends that decide tags for chargers in `backend` authorization mode. A forwarded
/// charger's uplink registers how to ask its backend; the driver of an OCPP charge point behind
/// the bridge asks before it answers the charge point's Authorize, and the answer is kept a while
/// so the transaction start that follows is decided the same without asking again.
package final class BackendTags: Sendable {
    package typealias Ask = @Sendable (_ tag: String, _ reply: @escaping @Sendable (BackendAnswer) -> Void) -> Void

    private struct Key: Hashable {
        var charger: String
        var tag: String
    }

    private struct Kept {
        var answer: BackendAnswer
        var until: Date
    }

    /// How long an answer stands in for asking again (an expiry the backend gave is checked by the
    /// decision itself: an accepted tag past it counts as expired).
    package static let keptFor: TimeInterval = 60
    /// How long a charge point's call waits for the backend's answer about its tag: well within
    /// the time a charge point waits for its own answer (30 s and more are usual).
    package static let wait: Double = 5
    /// Most answers kept: a stranger presenting tag after tag cannot grow the table.
    package static let capacity = 1000

    private let askers = Mutex<[String: Ask]>([:])
    private let answers = Mutex<[Key: Kept]>([:])

    package init() {}

    package func register(charger: String, ask: @escaping Ask) { askers.withLock { $0[charger] = ask } }

    /// The charger has an uplink whose backend can be asked.
    package func canAsk(charger: String) -> Bool { askers.withLock { $0[charger] != nil } }

    /// The backend's answer about `tag` at `charger`, while it is kept (nil: ask).
    package func answer(charger: String, tag: String, wall: Date) -> BackendAnswer? {
        answers.withLock { kept in
            guard let entry = kept[Key(charger: charger, tag: tag)], entry.until > wall else { return nil }
            return entry.answer
        }
    }

    /// Asks the charger's backend; `reply` is called once with its answer (kept) or `.unreachable`
    /// (not kept: the next presentation asks again). False when the charger has no uplink.
    package func ask(charger: String, tag: String, reply: @escaping @Sendable (BackendAnswer) -> Void) -> Bool {
        guard let ask = askers.withLock({ $0[charger] }) else { return false }
        ask(tag) { [self] answer in
            if case .answered = answer { keep(answer, charger: charger, tag: tag) }
            reply(answer)
        }
        return true
    }

    /// How many answers are kept.
    package var kept: Int { answers.withLock { $0.count } }

    private func keep(_ answer: BackendAnswer, charger: String, tag: String) {
        let wall = Date()
        let until = wall.addingTimeInterval(Self.keptFor)
        answers.withLock { kept in
            if kept.count >= Self.capacity { kept = kept.filter { $0.value.until > wall } }
            if kept.count >= Self.capacity, let oldest = kept.min(by: { $0.value.until < $1.value.until })?.key { kept[oldest] = nil }
            kept[Key(charger: charger, tag: tag)] = Kept(answer: answer, until: until)
        }
    }
}
