import EnergyControl
import Foundation

/// The answer to one CALL from a charge point, and what is worth logging.
public struct HandledCall: Sendable {
    public var reply: Result<JSONValue, OCPPFailure>
    public var notes: [String] = []
}

/// What one version's charge point tells the central system on one connection, and the answers
/// it gets: pure, time as parameters; a refused payload changes nothing (the session is mutated
/// only after the whole payload was read).
public protocol StationSession: Sendable {
    init(policy: ChargePointPolicy)
    var policy: ChargePointPolicy { get }
    /// The controlled connector in the bridge's terms.
    var record: StationRecord { get }
    /// Any frame from the charge point shows it is alive.
    mutating func heard(now: Double)
    /// The answer to one CALL; throws the CALLERROR's failure.
    mutating func answer(action: String, payload: JSONValue, now: Double, wall: Date, notes: inout [String]) throws(OCPPFailure) -> JSONValue
}

extension StationSession {
    public var booted: Bool { record.booted }

    public mutating func handle(action: String, payload: JSONValue, now: Double, wall: Date) -> HandledCall {
        heard(now: now)
        do throws(OCPPFailure) {
            var notes: [String] = []
            let reply = try answer(action: action, payload: payload, now: now, wall: wall, notes: &notes)
            return HandledCall(reply: .success(reply), notes: notes)
        } catch {
            return HandledCall(reply: .failure(error), notes: ["\(action) refused: \(error.code.rawValue): \(error.description)"])
        }
    }

    /// The charge point in the bridge's common terms.
    public func chargerStatus(now: Double, online: Bool) -> ChargerStatus {
        record.chargerStatus(connector: policy.connector, now: now, online: online)
    }
}
