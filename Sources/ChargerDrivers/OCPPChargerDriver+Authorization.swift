import Authorization
import Foundation
import Logging
import OCPP
import ServiceSupport
import Synchronization

/// What an OCPP charge point does for authorization and the operator's commands beside the
/// profile stack: tags decided by the site's `AuthorizationBook`, its own local list kept in step
/// (`LocalListSync`), Reset and RemoteStopTransaction on request.
extension OCPPChargerDriver {
    /// The charge point's tags go to the book; the tag the bridge starts remote transactions with
    /// is its own and always accepted.
    static func authorizer(book: AuthorizationBook?, charger: String, remoteIdTag: String) -> TagAuthorizer {
        guard let book else { return .acceptAll }
        return TagAuthorizer { tag, wall in
            if tag == remoteIdTag { return AuthorizationDecision(.accepted, "the bridge's own remote start") }
            // no uplink to a backend yet: backend mode decides as while it is unreachable
            return book.decide(tag: tag, charger: charger, backend: .unreachable, at: wall)
        }
    }

    /// The driver's own calls, after the control's: answers taken, the local list kept in step.
    /// Called under the state's lock; returns the frames to send.
    func driverCalls(_ state: inout State, now: Double, wall: Date) -> [Frame] {
        let booted = state.control.connected && state.control.session.booted
        if booted, !state.listBooted {
            state.listBooted = true
            state.listSync.booted()
        }
        let list = book?.list ?? LocalList()
        let rules = self.rules
        for outcome in state.control.takeAnswers() {
            if outcome.key.hasPrefix("list.") {
                let (call, note) = state.listSync.answered(key: outcome.key, outcome.answer, list: list, rules: rules)
                if let call { state.control.send(call.action, call.payload, key: call.key) }
                if let note { logger.info("\(note)", metadata: ["charger": "\(chargerId)"]) }
            } else {
                let answer = switch outcome.answer {
                case .success(let payload): payload["status"]?.string ?? "answered"
                case .failure(let failure): "failed: \(failure.description)"
                }
                logger.notice("\(outcome.action): \(answer)", metadata: ["charger": "\(chargerId)"])
            }
        }
        if booted, let call = state.listSync.next(list: list, rules: rules) { state.control.send(call.action, call.payload, key: call.key) }
        return state.control.tick(now: now, wall: wall).frames
    }

    package func perform(_ command: ChargerCommand) throws(ChargerCommandRefusal) {
        let refusal = state.withLock { state -> String? in
            guard state.control.connected, state.control.session.booted else { return "the charge point is not connected" }
            switch command {
            case .reset(let hard):
                state.control.send("Reset", ["type": .string(hard ? "Hard" : "Soft")], key: "reset")
            case .stopTransaction:
                guard let transaction = state.control.session.transaction else { return "no transaction is running" }
                state.control.send("RemoteStopTransaction", ["transactionId": .number(Double(transaction.id))], key: "stop")
            }
            return nil
        }
        if let refusal { throw ChargerCommandRefusal(refusal) }
        logger.notice("\(command.name) sent", metadata: ["charger": "\(chargerId)"])
        pumpSoon()
    }
}
