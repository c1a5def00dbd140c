import Foundation

/// OCPP 2.0.1's message set: the CSMS's calls in 2.0.1's fields (OCPP 2.0.1 Part 2 §1).
public enum OCPP201: OCPPMessageSet {
    public typealias Session = StationSession201
    public static var version: OCPPVersion { .v201 }

    /// SetChargingProfile (K01) with chargingProfile and its chargingSchedule array; a
    /// ChargingStationMaxProfile goes to EVSE 0.
    public static func setChargingProfile(_ profile: ChargingProfile) -> OutgoingCall {
        let schedule: JSONValue = ["id": .number(Double(profile.id)), "chargingRateUnit": .string(profile.unit.rawValue),
                                   "chargingSchedulePeriod": [profile.period], "startSchedule": .string(OCPPTime.format(profile.startSchedule))]
        var fields: [String: JSONValue] = [
            "id": .number(Double(profile.id)), "stackLevel": .number(Double(profile.stackLevel)),
            "chargingProfileKind": "Absolute", "chargingSchedule": [schedule],
        ]
        switch profile.purpose {
        case .txDefault: fields["chargingProfilePurpose"] = "TxDefaultProfile"
        case .stationMax: fields["chargingProfilePurpose"] = "ChargingStationMaxProfile"
        case .tx(let transactionId):
            fields["chargingProfilePurpose"] = "TxProfile"
            fields["transactionId"] = .string(transactionId)
        }
        if let validTo = profile.validTo { fields["validTo"] = .string(OCPPTime.format(validTo)) }
        return OutgoingCall("SetChargingProfile", ["evseId": .number(Double(profile.target)), "chargingProfile": .object(fields)])
    }

    public static func profileLimit(_ request: JSONValue) -> Double? {
        request["chargingProfile"]?["chargingSchedule"]?.array?.first?["chargingSchedulePeriod"]?.array?.first?["limit"]?.number
    }

    /// 2.0.1 has no vendor-neutral limit key in the ladder (its device model has SmartChargingCtrlr only).
    public static func limitConfiguration(key _: String, amperes _: Int) -> OutgoingCall? { nil }

    public static func clearChargingProfile(id: Int) -> OutgoingCall {
        OutgoingCall("ClearChargingProfile", ["chargingProfileId": .number(Double(id))])
    }

    public static func availability(operative: Bool, connector: Int) -> OutgoingCall {
        OutgoingCall("ChangeAvailability", ["operationalStatus": .string(operative ? "Operative" : "Inoperative"),
                                            "evse": ["id": .number(Double(connector))]])
    }

    public static func remoteStart(idTag: String, connector: Int, requestId: Int) -> OutgoingCall {
        OutgoingCall("RequestStartTransaction", ["evseId": .number(Double(connector)), "remoteStartId": .number(Double(requestId)),
                                                 "idToken": ["idToken": .string(idTag), "type": "Central"]])
    }

    public static func remoteStop(transactionId: String) -> OutgoingCall {
        OutgoingCall("RequestStopTransaction", ["transactionId": .string(transactionId)])
    }

    public static func reset(_ kind: ResetKind) -> OutgoingCall {
        OutgoingCall("Reset", ["type": .string(kind == .immediate ? "Immediate" : "OnIdle")])
    }

    static let rateUnit = Variable(component: "SmartChargingCtrlr", variable: "RateUnit")
    static let txUpdatedInterval = Variable(component: "SampledDataCtrlr", variable: "TxUpdatedInterval")
    static let txUpdatedMeasurands = Variable(component: "SampledDataCtrlr", variable: "TxUpdatedMeasurands")

    public static func afterBoot(_ settings: StationSettings) -> [(key: String, call: OutgoingCall)] {
        var set: [JSONValue] = []
        if let interval = settings.meterInterval { set.append(txUpdatedInterval.setting("\(interval)")) }
        set.append(txUpdatedMeasurands.setting(settings.sampledData))
        return [
            ("config.get", OutgoingCall("GetVariables", ["getVariableData": [rateUnit.reference]])),
            ("trigger.status", OutgoingCall("TriggerMessage", ["requestedMessage": "StatusNotification",
                                                               "evse": ["id": .number(Double(settings.policy.connector)), "connectorId": 1]])),
            ("config.set", OutgoingCall("SetVariables", ["setVariableData": .array(set)])),
        ]
    }

    /// The rate units it takes (a warning when the configured one is not among them); variables it
    /// did not take (once each).
    public static func configurationNotes(_ outcome: OutgoingCalls.Outcome, settings: StationSettings) -> [ControlNote]? {
        guard case .success(let payload) = outcome.answer else { return nil }
        switch outcome.action {
        case "GetVariables":
            let result = payload["getVariableResult"]?.array?.first { rateUnit.matches($0) }
            guard result?["attributeStatus"]?.string == "Accepted", let value = result?["attributeValue"]?.string else {
                return [ControlNote(level: .info, text: "SmartChargingCtrlr.RateUnit not reported: \(result?["attributeStatus"]?.string ?? "no answer")")]
            }
            return RateUnitCheck.notes(offered: value, wanted: settings.stack.unit, current: "A", power: "W")
        case "SetVariables":
            let refused = (payload["setVariableResult"]?.array ?? []).compactMap { result -> String? in
                let status = result["attributeStatus"]?.string ?? "?"
                guard status != "Accepted" else { return nil }
                return "\(result["component"]?["name"]?.string ?? "?").\(result["variable"]?["name"]?.string ?? "?"): \(status)"
            }
            guard !refused.isEmpty else { return [ControlNote(level: .info, text: "SetVariables: meter values configured")] }
            return [ControlNote(level: .warning, text: "SetVariables not taken: \(refused.joined(separator: ", "))")]
        default:
            return nil
        }
    }

    /// A component's variable (2.0.1 device model).
    struct Variable {
        var component: String
        var variable: String

        var reference: JSONValue { ["component": ["name": .string(component)], "variable": ["name": .string(variable)]] }

        func setting(_ value: String) -> JSONValue {
            ["component": ["name": .string(component)], "variable": ["name": .string(variable)], "attributeValue": .string(value)]
        }

        func matches(_ result: JSONValue) -> Bool {
            result["component"]?["name"]?.string == component && result["variable"]?["name"]?.string == variable
        }
    }
}

/// The 2.0.1 charging station's control.
public typealias Station201Control = StationControl<OCPP201>
