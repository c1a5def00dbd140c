import Authorization
import EnergyControl
import Foundation

/// How the central system answers a charge point (from the configuration).
public struct ChargePointPolicy: Sendable, Equatable {
    /// The connector the bridge controls (1 for a single-socket charger).
    public var connector = 1
    /// Seconds, sent in the BootNotification answer.
    public var heartbeatInterval = 60
    /// Who may charge (Authorize, StartTransaction).
    public var authorizer = TagAuthorizer.acceptAll
    /// The first transaction id handed out (ids must stay unique across restarts: seed from the clock).
    public var firstTransactionId = 1

    public init() {}
}

/// OCPP 1.6 ChargePointStatus (StatusNotification.status).
public enum ConnectorStatus: String, Sendable, Equatable, CaseIterable {
    case available = "Available", preparing = "Preparing", charging = "Charging"
    case suspendedEVSE = "SuspendedEVSE", suspendedEV = "SuspendedEV", finishing = "Finishing"
    case reserved = "Reserved", unavailable = "Unavailable", faulted = "Faulted"
}

/// OCPP 1.6 ChargePointErrorCode.
public enum ConnectorError: String, Sendable, Equatable, CaseIterable {
    case connectorLockFailure = "ConnectorLockFailure", evCommunicationError = "EVCommunicationError"
    case groundFailure = "GroundFailure", highTemperature = "HighTemperature", internalError = "InternalError"
    case localListConflict = "LocalListConflict", noError = "NoError", otherError = "OtherError"
    case overCurrentFailure = "OverCurrentFailure", overVoltage = "OverVoltage", powerMeterFailure = "PowerMeterFailure"
    case powerSwitchFailure = "PowerSwitchFailure", readerFailure = "ReaderFailure", resetFailure = "ResetFailure"
    case underVoltage = "UnderVoltage", weakSignal = "WeakSignal"
}

/// The last measurements a charge point sent (MeterValues), in SI units after unit and multiplier.
public struct MeterReading: Sendable, Equatable {
    public var currents: [Double?] = [nil, nil, nil]
    public var voltages: [Double?] = [nil, nil, nil]
    public var powerW: Double?
    public var energyWh: Double?
    public var soc: Double?
    public init() {}
}

/// A transaction as the charge point reported it.
public struct Transaction: Sendable, Equatable {
    public var id: Int
    public var idTag: String
    public var meterStartWh: Double
    public var startedAt: Double
    public var meterStopWh: Double?
    public var endedAt: Double?
}

/// What a charge point told the central system on one connection, and the answers it gets: pure,
/// time as parameters. Refused payloads change nothing.
public struct ChargePointSession: Sendable {
    public let policy: ChargePointPolicy
    public private(set) var booted = false
    public private(set) var identity: [String: String] = [:]
    public private(set) var status: ConnectorStatus?
    public private(set) var stationStatus: ConnectorStatus?
    public private(set) var errorCode: ConnectorError = .noError
    /// What the charger adds to its error code (StatusNotification vendorErrorCode, info).
    public private(set) var vendorError: (code: String, info: String) = ("", "")
    public private(set) var meter = MeterReading()
    public private(set) var transaction: Transaction?
    /// The last finished transaction (its values stay on the EVC08 face until the next one).
    public private(set) var lastTransaction: Transaction?
    /// Monotonic time of the last message from the charge point.
    public private(set) var lastMessageAt: Double?
    private var nextTransactionId: Int

    public init(policy: ChargePointPolicy) {
        self.policy = policy
        nextTransactionId = policy.firstTransactionId
    }

    /// The answer to one CALL, and what is worth logging.
    public struct Handled: Sendable {
        public var reply: Result<JSONValue, OCPPFailure>
        public var notes: [String] = []
    }

    public mutating func handle(action: String, payload: JSONValue, now: Double, wall: Date) -> Handled {
        lastMessageAt = now
        do throws(OCPPFailure) {
            var notes: [String] = []
            let reply = try answer(action: action, payload: payload, now: now, wall: wall, notes: &notes)
            return Handled(reply: .success(reply), notes: notes)
        } catch {
            return Handled(reply: .failure(error), notes: ["\(action) refused: \(error.code.rawValue): \(error.description)"])
        }
    }

    /// Any frame from the charge point shows it is alive.
    public mutating func heard(now: Double) { lastMessageAt = now }

    private mutating func answer(action: String, payload: JSONValue, now: Double, wall: Date, notes: inout [String]) throws(OCPPFailure) -> JSONValue {
        let time = JSONValue.string(OCPPTime.format(wall))
        switch action {
        case "BootNotification":
            let reader = try PayloadReader(payload)
            let vendor = try reader.string("chargePointVendor", max: 20), model = try reader.string("chargePointModel", max: 20)
            var identity = ["vendor": vendor, "model": model]
            for (key, name) in [("chargePointSerialNumber", "serial"), ("firmwareVersion", "firmware")] {
                if let value = try reader.optionalString(key, max: 50) { identity[name] = value }
            }
            self.identity = identity
            booted = true
            notes.append("boot: \(identity.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
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
                vendorError = (vendorCode, info)
            } else if connector == 0 {
                stationStatus = status
            }
            return [:]
        case "MeterValues":
            let reader = try PayloadReader(payload)
            let connector = try reader.integer("connectorId")
            _ = try reader.optionalInteger("transactionId")
            let values = try reader.array("meterValue")
            var reading = meter
            for value in values {
                let entry = try PayloadReader(value)
                _ = try entry.date("timestamp")
                for sample in try entry.array("sampledValue") {
                    try MeterSample.apply(try PayloadReader(sample), to: &reading, notes: &notes)
                }
            }
            if connector == policy.connector { meter = reading }
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
            let accepted = decision.accepted
            if accepted, connector == policy.connector {
                transaction = Transaction(id: id, idTag: tag, meterStartWh: Double(meterStart), startedAt: now)
                if meter.energyWh == nil { meter.energyWh = Double(meterStart) }
            }
            notes.append("transaction \(id) \(accepted ? "started" : "refused") on connector \(connector), id tag \(tag) (\(decision.reason))")
            return ["transactionId": .number(Double(id)), "idTagInfo": TagAuthorizer.idTagInfo(decision)]
        case "StopTransaction":
            let reader = try PayloadReader(payload)
            let meterStop = try reader.integer("meterStop")
            _ = try reader.date("timestamp")
            let id = try reader.integer("transactionId")
            _ = try reader.optionalString("reason", max: 30)
            _ = try reader.optionalString("idTag", max: 20)
            _ = try reader.optionalArray("transactionData")
            if var ended = transaction, ended.id == id {
                ended.meterStopWh = Double(meterStop)
                ended.endedAt = now
                lastTransaction = ended
                transaction = nil
                meter.energyWh = Double(meterStop)
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

    /// The charge point in the bridge's common terms.
    public func chargerStatus(now: Double, online: Bool) -> ChargerStatus {
        var result = ChargerStatus()
        let effective = stationStatus == .unavailable || stationStatus == .faulted ? stationStatus : status
        result.state = switch effective {
        case .available?: .available
        case .preparing?: .preparing
        case .charging?: .charging
        case .suspendedEVSE?: .suspendedEVSE
        case .suspendedEV?: .suspendedEV
        case .finishing?: .finishing
        case .reserved?: .reserved
        case .faulted?: .faulted
        case .unavailable?, nil: .unavailable
        }
        let connected: Set<ConnectorStatus> = [.preparing, .charging, .suspendedEV, .suspendedEVSE, .finishing]
        result.cable = status.map { connected.contains($0) } == true ? .vehicleConnected : .noCable
        // the error's place in OCPP 1.6's list (ConnectorLockFailure 1 … WeakSignal 15), not just "some fault"
        result.faultCode = errorCode == .noError ? 0 : (ConnectorError.allCases.filter { $0 != .noError }.firstIndex(of: errorCode) ?? 0) + 1
        result.errorCode = errorCode == .noError ? "" : errorCode.rawValue
        (result.vendorErrorCode, result.errorInfo) = vendorError
        result.vendor = identity["vendor"] ?? ""
        result.model = identity["model"] ?? ""
        result.serial = identity["serial"] ?? ""
        result.firmware = identity["firmware"] ?? ""
        result.currents = meter.currents.map { $0 ?? 0 }
        result.voltages = meter.voltages.map { $0 ?? 230 }
        result.energyWh = meter.energyWh ?? 0
        result.connector = policy.connector
        if let transaction {
            result.transactionId = String(transaction.id)
            result.sessionEnergyWh = max(0, (meter.energyWh ?? transaction.meterStartWh) - transaction.meterStartWh)
            result.sessionSeconds = max(0, now - transaction.startedAt)
            result.idTag = transaction.idTag
        } else if let last = lastTransaction {
            result.sessionEnergyWh = max(0, (last.meterStopWh ?? last.meterStartWh) - last.meterStartWh)
            result.sessionSeconds = max(0, (last.endedAt ?? now) - last.startedAt)
            result.idTag = last.idTag
        }
        result.online = online && booted
        return result
    }
}
