import EnergyControl
import Foundation
import OCPP

/// The payloads the bridge sends as a charge point (OCPP 1.6 §4), from a charger's status. Pure.
public enum UplinkMessages {
    public static func bootNotification(_ identity: UplinkIdentity) -> JSONValue {
        var payload: [String: JSONValue] = ["chargePointVendor": .string(clip(identity.vendor, 20)), "chargePointModel": .string(clip(identity.model, 20))]
        if !identity.serial.isEmpty { payload["chargePointSerialNumber"] = .string(clip(identity.serial, 25)) }
        if !identity.firmware.isEmpty { payload["firmwareVersion"] = .string(clip(identity.firmware, 50)) }
        return .object(payload)
    }

    /// The 1.6 ChargePointStatus and error code of a charger's status; a charger the bridge lost
    /// contact with is Unavailable.
    public static func status(_ status: ChargerStatus) -> (status: String, errorCode: String, info: String?) {
        guard status.online else { return ("Unavailable", "NoError", "the bridge lost contact with the charger") }
        switch status.state {
        case .available: return ("Available", "NoError", nil)
        case .preparing: return ("Preparing", "NoError", nil)
        case .charging: return ("Charging", "NoError", nil)
        case .suspendedEVSE: return ("SuspendedEVSE", "NoError", nil)
        case .suspendedEV: return ("SuspendedEV", "NoError", nil)
        case .finishing: return ("Finishing", "NoError", nil)
        case .reserved: return ("Reserved", "NoError", nil)
        case .unavailable: return ("Unavailable", "NoError", nil)
        case .faulted: return ("Faulted", "OtherError", status.faultCode != 0 ? "fault code \(status.faultCode)" : nil)
        }
    }

    public static func statusNotification(_ status: ChargerStatus, wall: Date) -> JSONValue {
        let mapped = Self.status(status)
        var payload: [String: JSONValue] = ["connectorId": 1, "status": .string(mapped.status), "errorCode": .string(mapped.errorCode),
                                            "timestamp": .string(OCPPTime.format(wall))]
        if let info = mapped.info { payload["info"] = .string(clip(info, 50)) }
        if mapped.status == "Faulted", status.faultCode != 0 { payload["vendorErrorCode"] = .string("\(status.faultCode)") }
        return .object(payload)
    }

    public static func startTransaction(idTag: String, meterWh: Double, wall: Date) -> JSONValue {
        ["connectorId": 1, "idTag": .string(clip(idTag, 20)), "meterStart": .number(meterWh.rounded(.down)), "timestamp": .string(OCPPTime.format(wall))]
    }

    public static func stopTransaction(idTag: String, meterWh: Double, reason: String, wall: Date) -> JSONValue {
        ["idTag": .string(clip(idTag, 20)), "meterStop": .number(meterWh.rounded(.down)), "reason": .string(reason), "timestamp": .string(OCPPTime.format(wall))]
    }

    /// Per-phase Current.Import, Power.Active.Import and Energy.Active.Import.Register (§7.45).
    public static func meterValues(_ status: ChargerStatus, wall: Date, context: String = "Sample.Periodic") -> JSONValue {
        func sample(_ value: Double, _ measurand: String, _ unit: String, phase: String? = nil) -> JSONValue {
            var fields: [String: JSONValue] = ["value": .string(format(value)), "measurand": .string(measurand), "unit": .string(unit),
                                               "context": .string(context), "location": "Outlet"]
            if let phase { fields["phase"] = .string(phase) }
            return .object(fields)
        }
        var values: [JSONValue] = []
        for (index, phase) in ["L1", "L2", "L3"].enumerated() where index < status.currents.count {
            values.append(sample(status.currents[index], "Current.Import", "A", phase: phase))
        }
        values.append(sample(status.totalPower, "Power.Active.Import", "W"))
        values.append(sample(status.energyWh, "Energy.Active.Import.Register", "Wh"))
        return ["connectorId": 1, "meterValue": [["timestamp": .string(OCPPTime.format(wall)), "sampledValue": .array(values)]]]
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
    }

    static func clip(_ text: String, _ length: Int) -> String { String(text.prefix(length)) }
}

/// Who the forwarded charger says it is in its BootNotification.
public struct UplinkIdentity: Sendable, Equatable {
    public var vendor: String
    public var model: String
    public var serial: String
    public var firmware: String

    public init(vendor: String, model: String, serial: String = "", firmware: String = "") {
        self.vendor = vendor
        self.model = model
        self.serial = serial
        self.firmware = firmware
    }
}
