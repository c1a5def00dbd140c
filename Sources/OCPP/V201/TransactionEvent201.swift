import Authorization
import Foundation

/// TransactionEvent (OCPP 2.0.1 E01–E15): Started, Updated and Ended become the bridge's
/// sessions, with the id token and the meter values they carry. The station names its
/// transactions; one it started without the bridge hearing of it (a missed Started) begins at
/// its next Updated. The whole payload is read before anything changes.
extension StationSession201 {
    mutating func transactionEvent(_ payload: JSONValue, now: Double, wall: Date, notes: inout [String]) throws(OCPPFailure) -> JSONValue {
        let reader = try PayloadReader(payload)
        let type = try reader.oneOf("eventType", TransactionEventType.self)
        _ = try reader.date("timestamp")
        let trigger = try reader.oneOf("triggerReason", TriggerReason201.self)
        _ = try reader.integer("seqNo")
        let info = try reader.object("transactionInfo")
        let id = try info.string("transactionId", max: 36)
        let state = try info.optionalOneOf("chargingState", ChargingState201.self)
        _ = try info.optionalInteger("timeSpentCharging")
        let stoppedReason = try info.optionalString("stoppedReason", max: 30)
        _ = try info.optionalInteger("remoteStartId")
        _ = try reader.optionalBool("offline")
        _ = try reader.optionalInteger("numberOfPhasesUsed")
        _ = try reader.optionalInteger("cableMaxCurrent")
        _ = try reader.optionalInteger("reservationId")
        let evse = try reader.optionalObject("evse")
        let evseId = try evse?.integer("id")
        _ = try evse?.optionalInteger("connectorId")
        let token = try reader.optionalObject("idToken").map { reader throws(OCPPFailure) in try Self.idToken(reader) }
        let reading = try Self.read(try reader.optionalArray("meterValue") ?? [], into: record.meter, notes: &notes)

        var answer: [String: JSONValue] = [:]
        // the same decision as Authorize: a station may start offline or without asking first
        let decision = token.map { policy.authorizer.decide($0, wall) }
        if let decision { answer["idTokenInfo"] = TagAuthorizer.idTokenInfo201(decision) }
        let running = record.transaction?.id == id
        // an EVSE is named in the first event of a transaction; later ones may leave it out
        guard evseId == policy.connector || (evseId == nil && (running || record.transaction == nil)) else { return .object(answer) }

        take(reading)
        if let state { chargingState = state }
        if !running, type != .ended {
            if let other = record.transaction, record.end(meterStopWh: nil, now: now) != nil {
                notes.append("transaction \(other.id) ended unreported: \(id) started on the same EVSE")
            }
            // no register yet: the session counts from the first one that comes
            record.start(Transaction(id: id, idTag: token ?? "", meterStartWh: reading.energyWh ?? 0, startedAt: now))
            startRegisterPending = reading.energyWh == nil
            finished = false
            let refused = decision.map { $0.accepted ? "" : " (\($0.status.rawValue): \($0.reason))" } ?? ""
            notes.append("transaction \(id) started on EVSE \(policy.connector)\(token.map { ", id token \($0)\(refused)" } ?? ""), \(trigger.rawValue)")
        } else if running, let token, record.transaction?.idTag.isEmpty == true {
            record.transaction?.idTag = token
        }
        if type == .ended, record.transaction?.id == id, let ended = record.end(meterStopWh: nil, now: now) {
            finished = true
            let energy = Int((ended.meterStopWh ?? ended.meterStartWh) - ended.meterStartWh)
            notes.append("transaction \(id) ended: \(energy) Wh\(stoppedReason.map { " (\($0))" } ?? "")")
        }
        refresh()
        return .object(answer)
    }
}
