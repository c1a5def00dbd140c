import Authorization
import Foundation
import Synchronization

/// The site's local list at run time and each charger's rules: drivers ask it for decisions, the
/// MQTT face and the list file change it. A change is checked on a copy, saved (when a saver is
/// set), and only then taken: a refused or unsaved change changes nothing.
package final class AuthorizationBook: Sendable {
    /// By charger id.
    package let rules: [String: ChargerAuthorization]
    private let state: Mutex<LocalList>
    /// Held by a change from reading the list to taking the new one (saving included).
    private let changing = Mutex(())
    private let saver: (@Sendable (LocalList) throws -> Void)?
    /// The list file that is the list's record (nil: none): a change from elsewhere is refused,
    /// as the file would undo it at its next change or the next start.
    package let file: String?
    /// The CPO backends asked in `backend` mode, and their recent answers.
    package let backends = BackendTags()

    package init(list: LocalList, rules: [String: ChargerAuthorization], saver: (@Sendable (LocalList) throws -> Void)? = nil, file: String? = nil) {
        state = Mutex(list)
        self.rules = rules
        self.saver = saver
        self.file = file
    }

    package var list: LocalList { state.withLock { $0 } }

    /// `inListForm`: the tag is already in the list's form (an OCPP charger's session tag, see
    /// `OCPPChargerDriver.poll`), so its byte order is not turned again.
    package func decide(tag: String, charger: String, backend: BackendAnswer? = nil, at wall: Date, inListForm: Bool = false) -> AuthorizationDecision {
        var rules = rules[charger] ?? ChargerAuthorization()
        if inListForm { rules.format.byteOrder = .normal }
        return Authorizer.decide(tag: tag, rules: rules, list: list, backend: backend, at: wall)
    }

    package struct Refusal: Error, CustomStringConvertible {
        package let description: String
    }

    /// Applies `update` whole, saved first when `save` (an update from the list file is not
    /// saved: the file is its record). Returns the new list.
    @discardableResult
    package func apply(_ update: ListUpdate, save: Bool = true) throws(Refusal) -> LocalList {
        if save, let file { throw Refusal(description: "the list comes from the list file \(file): change the file") }
        // changes one at a time; decisions read the list meanwhile (not held up by the database)
        return try changing.withLock { (_: inout Void) throws(Refusal) -> LocalList in
            let next: LocalList
            do throws(LocalList.Refusal) {
                next = try list.applied(update)
            } catch {
                throw Refusal(description: error.description)
            }
            if save, let saver {
                do {
                    try saver(next)
                } catch {
                    throw Refusal(description: "not saved, so not applied: \(error)")
                }
            }
            state.withLock { $0 = next }
            return next
        }
    }

    /// The list saved by an earlier run replaces the initial one.
    package func restore(_ saved: LocalList) { changing.withLock { _ in state.withLock { $0 = saved } } }
}
