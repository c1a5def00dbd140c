import Authorization
import Foundation
import OCPP

/// The backend's answer about a tag an OCPP charge point behind the bridge presented, for the
/// ticket its driver holds the charge point's call under.
public struct TagAnswer: Sendable, Equatable {
    public var ticket: Int
    public var tag: String
    public var answer: BackendAnswer

    public init(ticket: Int, tag: String, answer: BackendAnswer) {
        self.ticket = ticket
        self.tag = tag
        self.answer = answer
    }
}

extension UplinkMachine {
    /// How long the backend's answer about a tag stands in for asking again (the transaction that
    /// follows an Authorize is decided the same, without a second round trip).
    static var answerKept: Double { 60 }
    /// Asks waiting for the backend at once; more are answered unreachable (the offline rule).
    static var mostAsked: Int { 8 }

    /// A tag presented at the charger (an OCPP charge point's Authorize, in `backend` mode): the
    /// backend is asked ahead of the journal; its answer comes back in `Output.tagAnswers` under
    /// `ticket`, `.unreachable` at once when the uplink is not booted.
    public mutating func ask(tag: String, ticket: Int, now: Double) -> Output {
        var output = Output()
        // a stranger presenting card after card at a slow backend cannot pile the asks up
        guard booted, asked.count < Self.mostAsked else {
            output.tagAnswers.append(TagAnswer(ticket: ticket, tag: tag, answer: .unreachable))
            return output
        }
        asked[ticket] = tag
        calls.enqueue("Authorize", ["idTag": .string(UplinkMessages.clip(tag, 20))], key: "ask-\(ticket)", urgent: true)
        finish(now: now, into: &output)
        return output
    }

    static func askTicket(_ key: String) -> Int? {
        key.hasPrefix("ask-") ? Int(key.dropFirst(4)) : nil
    }

    /// The backend answered (or failed to answer) an Authorize asked for a charge point.
    mutating func askAnswered(ticket: Int, _ outcome: OutgoingCalls.Outcome, now: Double, into output: inout Output) {
        guard let tag = asked.removeValue(forKey: ticket) else { return }
        let answer = Self.backendAnswer(outcome.answer)
        output.tagAnswers.append(TagAnswer(ticket: ticket, tag: tag, answer: answer))
        if case .answered(let status, _, _) = answer {
            keepAnswer(tag: tag, accepted: status == .accepted, now: now)
            output.log(.info, "backend answered Authorize of \(tag) for the charge point: \(status.rawValue)")
        } else {
            output.log(.notice, "Authorize of \(tag) for the charge point unanswered: decided offline")
        }
    }

    /// A 1.6 IdTagInfo as the authorization module reads it; a status it does not know
    /// (ConcurrentTx) refuses.
    public static func backendAnswer(_ answer: Result<JSONValue, OCPPFailure>) -> BackendAnswer {
        guard case .success(let payload) = answer, let info = payload["idTagInfo"], let status = info["status"]?.string else { return .unreachable }
        return .answered(AuthorizationStatus(rawValue: status) ?? .invalid, parentIdTag: info["parentIdTag"]?.string,
                         expiry: info["expiryDate"]?.string.flatMap(OCPPTime.parse))
    }

    /// Remembered for `answerKept`, so the uplink's own check of the transaction's tag takes it.
    mutating func keepAnswer(tag: String, accepted: Bool, now: Double) {
        recentAnswers = recentAnswers.filter { now - $0.value.at < Self.answerKept }
        // in the form the charger's status will show it in
        if recentAnswers.count < 100 { recentAnswers[settings.tagFormat.presented(tag)] = (accepted, now) }
    }

    /// The backend's recent answer about `tag` (nil: none within `answerKept`).
    func recentAnswer(_ tag: String, now: Double) -> Authorization? {
        guard let kept = recentAnswers[tag], now - kept.at < Self.answerKept else { return nil }
        return kept.accepted ? .accepted(tag) : .refused(tag)
    }
}
