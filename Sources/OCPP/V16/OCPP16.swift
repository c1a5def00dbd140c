import Foundation

/// OCPP 1.6J's message set: the central system's calls in 1.6's fields (OCPP 1.6 §5).
public enum OCPP16: OCPPMessageSet {
    public typealias Session = ChargePointSession
    public static var version: OCPPVersion { .v16 }

    /// SetChargingProfile (§5.16) with csChargingProfiles; a ChargePointMaxProfile goes to connector 0.
    public static func setChargingProfile(_ profile: ChargingProfile) -> OutgoingCall {
        let schedule: JSONValue = ["chargingRateUnit": .string(profile.unit.rawValue), "chargingSchedulePeriod": [profile.period],
                                   "startSchedule": .string(OCPPTime.format(profile.startSchedule))]
        var fields: [String: JSONValue] = [
            "chargingProfileId": .number(Double(profile.id)), "stackLevel": .number(Double(profile.stackLevel)),
            "chargingProfileKind": "Absolute", "chargingSchedule": schedule,
        ]
        switch profile.purpose {
        case .txDefault: fields["chargingProfilePurpose"] = "TxDefaultProfile"
        case .stationMax: fields["chargingProfilePurpose"] = "ChargePointMaxProfile"
        case .tx(let transactionId):
            fields["chargingProfilePurpose"] = "TxProfile"
            fields["transactionId"] = .number(Double(Int(transactionId) ?? 0))
        }
        if let validTo = profile.validTo { fields["validTo"] = .string(OCPPTime.format(validTo)) }
        return OutgoingCall("SetChargingProfile", ["connectorId": .number(Double(profile.target)), "csChargingProfiles": .object(fields)])
    }

    public static func profileLimit(_ request: JSONValue) -> Double? {
        request["csChargingProfiles"]?["chargingSchedule"]?["chargingSchedulePeriod"]?.array?.first?["limit"]?.number
    }

    /// The fallback ladder's last rung (§5.3): the installer's limit key, in whole amperes.
    public static func limitConfiguration(key: String, amperes: Int) -> OutgoingCall? {
        OutgoingCall("ChangeConfiguration", ["key": .string(key), "value": .string("\(amperes)")])
    }

    public static func clearChargingProfile(id: Int) -> OutgoingCall {
        OutgoingCall("ClearChargingProfile", ["id": .number(Double(id))])
    }

    public static func availability(operative: Bool, connector: Int) -> OutgoingCall {
        OutgoingCall("ChangeAvailability", ["connectorId": .number(Double(connector)), "type": .string(operative ? "Operative" : "Inoperative")])
    }

    public static func remoteStart(idTag: String, connector: Int, requestId _: Int) -> OutgoingCall {
        OutgoingCall("RemoteStartTransaction", ["connectorId": .number(Double(connector)), "idTag": .string(idTag)])
    }

    public static func remoteStop(transactionId: String) -> OutgoingCall {
        OutgoingCall("RemoteStopTransaction", ["transactionId": .number(Double(Int(transactionId) ?? 0))])
    }

    /// Hard restarts at once; Soft first ends transactions (§5.14): the nearest to OnIdle.
    public static func reset(_ kind: ResetKind) -> OutgoingCall {
        OutgoingCall("Reset", ["type": .string(kind == .immediate ? "Hard" : "Soft")])
    }

    public static func afterBoot(_ settings: StationSettings) -> [(key: String, call: OutgoingCall)] {
        var calls: [(key: String, call: OutgoingCall)] = [
            ("config.get", OutgoingCall("GetConfiguration", ["key": ["ChargingScheduleAllowedChargingRateUnit"]])),
            ("trigger.status", OutgoingCall("TriggerMessage", ["requestedMessage": "StatusNotification",
                                                               "connectorId": .number(Double(settings.policy.connector))])),
        ]
        if let interval = settings.meterInterval {
            calls.append(("config.interval", OutgoingCall("ChangeConfiguration", ["key": "MeterValueSampleInterval", "value": .string("\(interval)")])))
        }
        calls.append(("config.sampled", OutgoingCall("ChangeConfiguration", ["key": "MeterValuesSampledData", "value": .string(settings.sampledData)])))
        return calls
    }

    /// Warns when the charge point does not take the configured unit (its profiles would be rejected).
    public static func configurationNotes(_ outcome: OutgoingCalls.Outcome, settings: StationSettings) -> [ControlNote]? {
        guard outcome.action == "GetConfiguration", case .success(let payload) = outcome.answer else { return nil }
        guard let keys = payload["configurationKey"]?.array,
              let value = keys.first(where: { $0["key"] == "ChargingScheduleAllowedChargingRateUnit" })?["value"]?.string else { return [] }
        return RateUnitCheck.notes(offered: value, wanted: settings.stack.unit, current: "Current", power: "Power")
    }
}

/// Whether the charge point takes the configured rate unit (both versions ask after boot).
enum RateUnitCheck {
    static func notes(offered: String, wanted unit: ProfileStack.RateUnit, current: String, power: String) -> [ControlNote] {
        let wanted = unit == .amperes ? current : power
        let units = offered.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !units.contains(wanted) else { return [ControlNote(level: .info, text: "charging rate units: \(offered)")] }
        return [ControlNote(level: .warning, text: "the charge point takes charging schedules in \(offered) only, not \(wanted): set its unit: accordingly")]
    }
}

/// The 1.6 charge point's control, as before 2.0.1 came.
public typealias ChargePointControl = StationControl<OCPP16>
