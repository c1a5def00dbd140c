import Authorization
import Foundation
import Logging
import OCPP
import OCPPServer
import ServiceSupport
import Synchronization

/// What an OCPP charge point does for authorization and the operator's commands beside the
/// profile stack: tags decided by the site's `AuthorizationBook` (both versions), a 1.6 charge
/// point's own local list kept in step (`LocalListSync`; 2.0.1's SendLocalList is not sent), Reset
/// and the stop of its transaction on request.
extension OCPPChargerDriver {
    /// The charge point's tags go to the book; the tag the bridge starts remote transactions with
    /// is its own and always accepted.
    static func authorizer(book: AuthorizationBook?, charger: String, remoteIdTag: String) -> TagAuthorizer {
        guard let book else { return .acceptAll }
        return TagAuthorizer { tag, wall in
            if tag == remoteIdTag { return AuthorizationDecision(.accepted, "the bridge's own remote start") }
            // backend mode: the answer `heldForBackend` got (none: as while the backend is unreachable)
            return book.decide(tag: tag, charger: charger, backend: book.backends.answer(charger: charger, tag: tag, wall: wall) ?? .unreachable, at: wall)
        }
    }

    /// `backend` mode with an uplink: a call presenting a tag the backend has not answered lately
    /// waits for its answer (at most `BackendTags.wait`), then goes to the control, which decides with
    /// the answer, or by the offline rule when none came. A charge point sends one call at a
    /// time, so nothing of its own overtakes the held one.
    func heldForBackend(_ text: String, on connection: OCPPConnection) -> Bool {
        guard let book, rules.mode == .backend, book.backends.canAsk(charger: chargerId),
              case .success(.call(_, let action, let payload)) = Frame.parse(text),
              let tag = TagAuthorizer.presented(action: action, payload: payload), tag != controlSettings.remoteIdTag,
              book.backends.answer(charger: chargerId, tag: tag, wall: Date()) == nil else { return false }
        return book.backends.ask(charger: chargerId, tag: tag) { [weak self] _ in
            guard let self else { return }
            connection.soon { self.process(text, on: connection) }
        }
    }

    /// The driver's own calls, after the control's: answers taken, the local list kept in step.
    /// Called under the state's lock; returns the frames to send and the notes to log (after it).
    func driverCalls(_ state: inout State, now: Double, wall: Date) -> (frames: [Frame], notes: [ControlNote]) {
        // the local list is 1.6's (2.0.1's SendLocalList has other fields: not sent)
        let booted = state.control.connected && state.control.booted && state.control.version == .v16
        if booted, !state.listBooted {
            state.listBooted = true
            state.listSync.booted()
        }
        let list = book?.list ?? LocalList()
        let rules = self.rules
        var notes: [ControlNote] = []
        // (the driver's only calls are the local list's)
        for outcome in state.control.takeAnswers() {
            let (call, note) = state.listSync.answered(key: outcome.key, outcome.answer, list: list, rules: rules)
            if let call { state.control.send(OutgoingCall(call.action, call.payload), key: call.key) }
            if let note { notes.append(ControlNote(level: .info, text: note)) }
        }
        if booted, let call = state.listSync.next(list: list, rules: rules) { state.control.send(OutgoingCall(call.action, call.payload), key: call.key) }
        let sent = state.control.tick(now: now, wall: wall)
        return (sent.frames, notes + sent.notes)
    }

    package func perform(_ command: ChargerCommand) throws(ChargerCommandRefusal) {
        let refusal = state.withLock { state -> String? in
            guard state.control.connected, state.control.booted else { return "the charge point is not connected" }
            switch command {
            case .reset(let hard):
                // 1.6 Hard / Soft, 2.0.1 Immediate / OnIdle
                state.control.reset(hard ? .immediate : .onIdle)
            case .stopTransaction:
                guard state.control.stopTransaction() else { return "no transaction is running" }
            }
            return nil
        }
        if let refusal { throw ChargerCommandRefusal(refusal) }
        logger.notice("\(command.name) sent", metadata: ["charger": "\(chargerId)"])
        pumpSoon()
    }
}
