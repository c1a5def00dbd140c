import Foundation
import OCPP
import StorageModel

/// The backend's calls to the forwarded charger (OCPP 1.6 §5): remote start and stop, charging
/// profiles (one more cap, never a request), two configuration keys, TriggerMessage, Reset; the rest
/// is NotImplemented. A call that is malformed or cannot be honoured changes nothing.
extension UplinkMachine {
    static let maxProfiles = 20
    static let readOnlyKeys: [String: String] = [
        "NumberOfConnectors": "1", "AuthorizeRemoteTxRequests": "false", "ChargeProfileMaxStackLevel": "100",
        "ChargingScheduleAllowedChargingRateUnit": "Current,Power", "MaxChargingProfilesInstalled": "\(maxProfiles)",
        "MeterValuesSampledData": "Current.Import,Power.Active.Import,Energy.Active.Import.Register",
        "SupportedFeatureProfiles": "Core,SmartCharging,RemoteTrigger",
    ]

    mutating func answer(id: String, action: String, payload: JSONValue, now: Double, wall: Date, into output: inout Output) -> Frame {
        do throws(OCPPFailure) {
            let result: JSONValue = switch action {
            case "RemoteStartTransaction": try remoteStartTransaction(payload, now: now, wall: wall, into: &output)
            case "RemoteStopTransaction": try remoteStopTransaction(payload, wall: wall, into: &output)
            case "SetChargingProfile": try setChargingProfile(payload, wall: wall, into: &output)
            case "ClearChargingProfile": try clearChargingProfile(payload, into: &output)
            case "GetConfiguration": try getConfiguration(payload)
            case "ChangeConfiguration": try changeConfiguration(payload, into: &output)
            case "TriggerMessage": try triggerMessage(payload, wall: wall, into: &output)
            case "Reset": try reset(payload, into: &output)
            default: throw OCPPFailure(.notImplemented, "\(action) is not implemented by the bridge's uplink")
            }
            return .result(id: id, payload: result)
        } catch {
            output.log(.notice, "backend's \(action) refused: \(error.description)")
            return .error(id: id, error)
        }
    }

    func accepted(_ yes: Bool) -> JSONValue { ["status": yes ? "Accepted" : "Rejected"] }

    mutating func remoteStartTransaction(_ payload: JSONValue, now: Double, wall: Date, into output: inout Output) throws(OCPPFailure) -> JSONValue {
        let request = try PayloadReader(payload)
        let tag = try request.string("idTag", max: 20)
        let connector = try request.optionalInteger("connectorId") ?? 1
        var profile: BackendProfile?
        if let body = request.fields["chargingProfile"] {
            var candidate = try BackendProfile.parse(["connectorId": 1, "csChargingProfiles": body], received: wall)
            candidate.source = ["connectorId": 1, "csChargingProfiles": body]
            guard candidate.purpose == .tx, candidate.problem == nil else {
                output.log(.notice, "RemoteStartTransaction rejected: its charging profile is not a valid TxProfile")
                return accepted(false)
            }
            profile = candidate
        }
        guard connector == 1, open == nil else {
            output.log(.notice, "RemoteStartTransaction rejected: \(connector != 1 ? "connector \(connector)" : "a transaction runs")")
            return accepted(false)
        }
        remoteStart = (tag, now + 120)
        hold = nil
        authorization = .accepted(tag)
        if let profile { profiles.install(profile) }
        output.commands.append(.force(true))
        output.log(.notice, "backend started a transaction remotely for id tag \(tag)")
        return accepted(true)
    }

    mutating func remoteStopTransaction(_ payload: JSONValue, wall: Date, into output: inout Output) throws(OCPPFailure) -> JSONValue {
        let transactionId = try PayloadReader(payload).integer("transactionId")
        guard let transaction = open, remoteIds[transaction.local] == transactionId, let status = lastStatus else {
            output.log(.notice, "RemoteStopTransaction \(transactionId) rejected: no such transaction runs")
            return accepted(false)
        }
        hold = "stopped by the backend"
        output.commands.append(.force(false))
        stop(reason: "Remote", status: status, wall: wall, into: &output)
        output.log(.notice, "backend stopped transaction \(transactionId): held at 0 A until the vehicle leaves")
        return accepted(true)
    }

    mutating func setChargingProfile(_ payload: JSONValue, wall: Date, into output: inout Output) throws(OCPPFailure) -> JSONValue {
        let profile = try BackendProfile.parse(payload, received: wall)
        var problem = profile.problem
        if problem == nil, profile.purpose == .tx {
            if let transaction = open {
                if let wanted = profile.transactionId, remoteIds[transaction.local] != wanted { problem = "transaction \(wanted) does not run" }
            } else {
                problem = "a TxProfile needs a running transaction"
            }
        }
        let replaces = profiles.profiles.contains { $0.id == profile.id || ($0.purpose == profile.purpose && $0.stackLevel == profile.stackLevel) }
        if problem == nil, !replaces, profiles.profiles.count >= Self.maxProfiles { problem = "already \(Self.maxProfiles) profiles installed" }
        if let problem {
            output.log(.notice, "SetChargingProfile \(profile.id) rejected: \(problem)")
            return accepted(false)
        }
        profiles.install(profile)
        output.store.append(.keep("profiles", profiles.persistent))
        output.log(.info, "backend set \(profile.purpose.rawValue) \(profile.id) at stack level \(profile.stackLevel)")
        return accepted(true)
    }

    mutating func clearChargingProfile(_ payload: JSONValue, into output: inout Output) throws(OCPPFailure) -> JSONValue {
        let request = try PayloadReader(payload)
        let purpose = try request.optionalString("chargingProfilePurpose", max: 30).map { text throws(OCPPFailure) -> BackendProfile.Purpose in
            guard let purpose = BackendProfile.Purpose(rawValue: text) else { throw OCPPFailure(.propertyConstraintViolation, "chargingProfilePurpose \"\(text)\" is not valid") }
            return purpose
        }
        let removed = profiles.clear(id: try request.optionalInteger("id"), connector: try request.optionalInteger("connectorId"), purpose: purpose,
                                     stackLevel: try request.optionalInteger("stackLevel"))
        if removed > 0 { output.store.append(.keep("profiles", profiles.persistent)) }
        return ["status": removed > 0 ? "Accepted" : "Unknown"]
    }

    /// The keys the backend may change (kept across restarts).
    static var writableKeys: [String] { ["HeartbeatInterval", "MeterValueSampleInterval", "TransactionMessageAttempts", "TransactionMessageRetryInterval"] }

    func configurationValue(_ key: String) -> (value: String, readonly: Bool)? {
        switch key {
        case "HeartbeatInterval": ("\(Int(heartbeatInterval))", false)
        case "MeterValueSampleInterval": ("\(Int(meterInterval))", false)
        case "TransactionMessageAttempts": ("\(transactionAttempts)", false)
        case "TransactionMessageRetryInterval": ("\(Int(transactionRetryInterval))", false)
        case "LocalAuthorizeOffline": ("\(settings.offline != .reject)", true)
        default: Self.readOnlyKeys[key].map { ($0, true) }
        }
    }

    func getConfiguration(_ payload: JSONValue) throws(OCPPFailure) -> JSONValue {
        let request = try PayloadReader(payload)
        let wanted = try request.optionalArray("key")?.map { item throws(OCPPFailure) -> String in
            guard let key = item.string, key.count <= 50 else { throw OCPPFailure(.typeConstraintViolation, "key must hold strings of at most 50 characters") }
            return key
        }
        let keys = wanted ?? (Self.writableKeys + ["LocalAuthorizeOffline"] + Self.readOnlyKeys.keys.sorted())
        var known: [JSONValue] = [], unknown: [JSONValue] = []
        for key in keys {
            if let (value, readonly) = configurationValue(key) {
                known.append(["key": .string(key), "readonly": .bool(readonly), "value": .string(value)])
            } else {
                unknown.append(.string(key))
            }
        }
        var answer: [String: JSONValue] = ["configurationKey": .array(known)]
        if !unknown.isEmpty { answer["unknownKey"] = .array(unknown) }
        return .object(answer)
    }

    mutating func changeConfiguration(_ payload: JSONValue, into output: inout Output) throws(OCPPFailure) -> JSONValue {
        let request = try PayloadReader(payload)
        let key = try request.string("key", max: 50), text = try request.string("value", max: 500)
        guard let current = configurationValue(key) else { return ["status": "NotSupported"] }
        guard !current.readonly else { return ["status": "Rejected"] }
        let range: ClosedRange<Int> = switch key {
        case "HeartbeatInterval": 0...86_400
        case "TransactionMessageAttempts": 1...10
        default: 0...3_600
        }
        guard let value = Int(text), range.contains(value) else { return ["status": "Rejected"] }
        switch key {
        case "HeartbeatInterval": heartbeatInterval = Double(value)
        case "MeterValueSampleInterval": meterInterval = Double(value)
        case "TransactionMessageAttempts": transactionAttempts = value
        default: transactionRetryInterval = Double(value)
        }
        output.store.append(.keep(key, .number(Double(value))))
        output.log(.info, "backend set \(key) to \(value)")
        return ["status": "Accepted"]
    }

    mutating func triggerMessage(_ payload: JSONValue, wall: Date, into output: inout Output) throws(OCPPFailure) -> JSONValue {
        let request = try PayloadReader(payload)
        let message = try request.string("requestedMessage", max: 40)
        let connector = try request.optionalInteger("connectorId")
        guard connector == nil || connector == 0 || connector == 1 else { return ["status": "Rejected"] }
        switch message {
        case "BootNotification":
            calls.enqueue("BootNotification", UplinkMessages.bootNotification(bootIdentity), key: "boot")
        case "Heartbeat":
            calls.enqueue("Heartbeat", [:], key: "heartbeat")
        case "StatusNotification":
            guard let status = lastStatus else { return ["status": "Rejected"] }
            statusCounter += 1
            calls.enqueue("StatusNotification", UplinkMessages.statusNotification(status, wall: wall), key: "status-\(statusCounter)")
        case "MeterValues":
            guard let status = lastStatus else { return ["status": "Rejected"] }
            var values = UplinkMessages.meterValues(status, wall: wall, context: "Trigger")
            if let transaction = open, let remote = remoteIds[transaction.local], case .object(var fields) = values {
                fields["transactionId"] = .number(Double(remote))
                values = .object(fields)
            }
            calls.enqueue("MeterValues", values, key: "trigger-meter")
        case "DiagnosticsStatusNotification", "FirmwareStatusNotification":
            return ["status": "NotImplemented"]
        default:
            throw OCPPFailure(.propertyConstraintViolation, "requestedMessage \"\(message)\" is not valid")
        }
        return ["status": "Accepted"]
    }

    mutating func reset(_ payload: JSONValue, into output: inout Output) throws(OCPPFailure) -> JSONValue {
        let type = try PayloadReader(payload).string("type", max: 4)
        guard type == "Hard" || type == "Soft" else { throw OCPPFailure(.propertyConstraintViolation, "type \"\(type)\" is not Hard or Soft") }
        guard settings.canReset else {
            output.log(.notice, "backend asked for a \(type) reset: rejected, this charger is not restarted on request")
            return ["status": "Rejected"]
        }
        output.commands.append(.reset(type))
        output.log(.notice, "backend asked for a \(type) reset: passed on to the charger")
        return ["status": "Accepted"]
    }
}
