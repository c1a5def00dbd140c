import Authorization
import EnergyControl
import Foundation

/// OCPP 1.6 ChargePointStatus (StatusNotification.status).
public enum ConnectorStatus: String, Sendable, Equatable, CaseIterable {
    case available = "Available", preparing = "Preparing", charging = "Charging"
    case suspendedEVSE = "SuspendedEVSE", suspendedEV = "SuspendedEV", finishing = "Finishing"
    case reserved = "Reserved", unavailable = "Unavailable", faulted = "Faulted"

    /// The bridge's state of the same name.
    var common: ChargePointState {
        switch self {
        case .available: .available
        case .preparing: .preparing
        case .charging: .charging
        case .suspendedEVSE: .suspendedEVSE
        case .suspendedEV: .suspendedEV
        case .finishing: .finishing
        case .reserved: .reserved
        case .unavailable: .unavailable
        case .faulted: .faulted
        }
    }

    var plugged: Bool { [.preparing, .charging, .suspendedEV, .suspendedEVSE, .finishing].contains(self) }
}

/// OCPP 1.6 ChargePointErrorCode.
public enum ConnectorError: String, Sendable, Equatable, CaseIterable {
    case connectorLockFailure = "ConnectorLockFailure", evCommunicationError = "EVCommunicationError"
    case groundFailure = "GroundFailure", highTemperature = "HighTemperature", internalError = "InternalError"
    case localListConflict = "LocalListConflict", noError = "NoError", otherError = "OtherError"
    case overCurrentFailure = "OverCurrentFailure", overVoltage = "OverVoltage", powerMeterFailure = "PowerMeterFailure"
    case powerSwitchFailure = "PowerSwitchFailure", readerFailure = "ReaderFailure", resetFailure = "ResetFailure"
    case underVoltage = "UnderVoltage", weakSignal = "WeakSignal"

    /// The error in the bridge's terms: its place in 1.6's list (not just "some fault"), the vendor's code and text.
    func reported(vendorCode: String, info: String) -> ReportedError {
        guard self != .noError else { return ReportedError(vendorCode: vendorCode, info: info) }
        let number = (Self.allCases.filter { $0 != .noError }.firstIndex(of: self) ?? 0) + 1
        return ReportedError(code: rawValue, number: number, vendorCode: vendorCode, info: info)
    }
}

/// An OCPP 1.6J charge point's calls on one connection (OCPP 1.6 §4): boot, heartbeat, status,
/// meter values, authorization, transactions.
public struct ChargePointSession: StationSession {
    public let policy: ChargePointPolicy
    public private(set) var record = StationRecord()
    public private(set) var status: ConnectorStatus?
    public private(set) var stationStatus: ConnectorStatus?
    public private(set) var errorCode: ConnectorError = .noError
    private var nextTransactionId: Int

    public init(policy: ChargePointPolicy) {
        self.policy = policy
        nextTransactionId = policy.firstTransactionId
    }

    public var identity: [String: String] { record.identity }
    public var meter: MeterReading { record.meter }
    public var transaction: Transaction? { record.transaction }
    public var lastTransaction: Transaction? { record.lastTransaction }
    public var lastMessageAt: Double? { record.lastMessageAt }

    public mutating func heard(now: Double) { record.lastMessageAt = now }

    public mutating func answer(action: String, payload: JSONValue, now: Double, wall: Date, notes: inout [String]) throws(OCPPFailure) -> JSONValue {
        let time = JSONValue.string(OCPPTime.format(wall))
        switch action {
        case "BootNotification":
            let reader = try PayloadReader(payload)
            let vendor = try reader.string("chargePointVendor", max: 20), model = try reader.string("chargePointModel", max: 20)
            var identity = ["vendor": vendor, "model": model]
            for (key, name) in [("chargePointSerialNumber", "serial"), ("firmwareVersion", "firmware")] {
                if let value = try reader.optionalString(key, max: 50) { identity[name] = value }
            }
            notes.append(record.identify(identity))
            return ["status": "Accepted", "currentTime": time, "interval": .number(Double(policy.heartbeatInterval))]
        case "Heartbeat":
            _ = try PayloadReader(payload)
            return ["currentTime": time]
        case "StatusNotification":
            let reader = try PayloadReader(payload)
            let connector = try reader.integer("connectorId")
            let code = try reader.oneOf("errorCode", ConnectorError.self)
            let status = try reader.oneOf("status", ConnectorStatus.self)
            _ = try reader.optionalDate("timestamp")
            let info = try reader.optionalString("info", max: 50) ?? ""
            let vendorCode = try reader.optionalString("vendorErrorCode", max: 50) ?? ""
            if connector == policy.connector {
                self.status = status
                errorCode = code
                record.state = status.common
                record.plugged = status.plugged
                record.faulted = code != .noError
                record.error = code.reported(vendorCode: vendorCode, info: info)
            } else if connector == 0 {
                stationStatus = status
                record.stationState = status.common
            }
            return [:]
        case "MeterValues":
            let reader = try PayloadReader(payload)
            let connector = try reader.integer("connectorId")
            let transactionId = try reader.optionalInteger("transactionId")
            var reading = record.meter
            for value in try reader.array("meterValue") {
                let entry = try PayloadReader(value)
                _ = try entry.date("timestamp")
                for sample in try entry.array("sampledValue") {
                    try MeterSample.apply16(try PayloadReader(sample), to: &reading, notes: &notes)
                }
            }
            if connector == policy.connector {
                record.meter = reading
                if let transactionId { adoptRunning(transactionId, reading: reading, now: now, notes: &notes) }
            }
            return [:]
        case "Authorize":
            let reader = try PayloadReader(payload)
            let tag = try reader.string("idTag", max: 20)
            let decision = policy.authorizer.decide(tag, wall)
            notes.append("id tag \(tag): \(decision.status.rawValue) (\(decision.reason))")
            return ["idTagInfo": TagAuthorizer.idTagInfo(decision)]
        case "StartTransaction":
            let reader = try PayloadReader(payload)
            let connector = try reader.integer("connectorId")
            let tag = try reader.string("idTag", max: 20)
            let meterStart = try reader.integer("meterStart")
            _ = try reader.date("timestamp")
            _ = try reader.optionalInteger("reservationId")
            let id = nextTransactionId
            nextTransactionId += 1
            let decision = policy.authorizer.decide(tag, wall)
            if decision.accepted, connector == policy.connector {
                record.start(Transaction(id: String(id), idTag: tag, meterStartWh: Double(meterStart), startedAt: now))
            }
            notes.append("transaction \(id) \(decision.accepted ? "started" : "refused") on connector \(connector), id tag \(tag) (\(decision.reason))")
            return ["transactionId": .number(Double(id)), "idTagInfo": TagAuthorizer.idTagInfo(decision)]
        case "StopTransaction":
            let reader = try PayloadReader(payload)
            let meterStop = try reader.integer("meterStop")
            _ = try reader.date("timestamp")
            let id = try reader.integer("transactionId")
            _ = try reader.optionalString("reason", max: 30)
            _ = try reader.optionalString("idTag", max: 20)
            _ = try reader.optionalArray("transactionData")
            if record.transaction?.id == String(id), let ended = record.end(meterStopWh: Double(meterStop), now: now) {
                notes.append("transaction \(id) stopped: \(Int(Double(meterStop) - ended.meterStartWh)) Wh")
            }
            return ["idTagInfo": ["status": "Accepted"]]
        case "DataTransfer":
            let reader = try PayloadReader(payload)
            _ = try reader.string("vendorId", max: 255)
            return ["status": "UnknownVendorId"]
        case "DiagnosticsStatusNotification", "FirmwareStatusNotification":
            _ = try PayloadReader(payload)
            return [:]
        default:
            throw OCPPFailure(.notImplemented, "\(action) is not an action this central system handles")
        }
    }

    /// A transaction the charge point runs that this session never saw start (the bridge restarted
    /// during it; 1.6 does not send StartTransaction again): taken up from its meter values, so a
    /// limit tied to it (a TxProfile) can be set again and the session is not lost.
    private mutating func adoptRunning(_ id: Int, reading: MeterReading, now: Double, notes: inout [String]) {
        guard record.transaction == nil, record.lastTransaction?.id != String(id) else { return }
        record.start(Transaction(id: String(id), idTag: "", meterStartWh: reading.energyWh ?? 0, startedAt: now))
        nextTransactionId = max(nextTransactionId, id + 1)
        notes.append("transaction \(id) was already running: taken up from its meter values")
    }
}
