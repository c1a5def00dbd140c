import Authorization
import EnergyControl
import Foundation

/// An OCPP 2.0.1 charging station's calls on one connection (OCPP 2.0.1 Part 2): boot, heartbeat,
/// status, authorization, events, meter values; transactions in `TransactionEvent201`. The EVSE
/// the bridge controls is `policy.connector`.
public struct StationSession201: StationSession {
    public let policy: ChargePointPolicy
    public internal(set) var record = StationRecord()
    public internal(set) var connectorStatus: ConnectorStatus201?
    public internal(set) var chargingState: ChargingState201?
    /// The last events the station reported (NotifyEvent), newest last, at most `keptEvents`.
    public internal(set) var events: [StationEvent] = []
    static var keptEvents: Int { 20 }
    /// A transaction ended and the car is still plugged (1.6's Finishing).
    var finished = false
    /// The running transaction began before any energy register was heard.
    var startRegisterPending = false

    public init(policy: ChargePointPolicy) { self.policy = policy }

    public mutating func heard(now: Double) { record.lastMessageAt = now }

    public mutating func answer(action: String, payload: JSONValue, now: Double, wall: Date, notes: inout [String]) throws(OCPPFailure) -> JSONValue {
        let time = JSONValue.string(OCPPTime.format(wall))
        switch action {
        case "BootNotification":
            let reader = try PayloadReader(payload)
            _ = try reader.oneOf("reason", BootReason201.self)
            let station = try reader.object("chargingStation")
            var identity = ["vendor": try station.string("vendorName", max: 50), "model": try station.string("model", max: 20)]
            for (key, name, length) in [("serialNumber", "serial", 25), ("firmwareVersion", "firmware", 50)] {
                if let value = try station.optionalString(key, max: length) { identity[name] = value }
            }
            _ = try station.optionalObject("modem")
            notes.append(record.identify(identity))
            return ["status": "Accepted", "currentTime": time, "interval": .number(Double(policy.heartbeatInterval))]
        case "Heartbeat":
            _ = try PayloadReader(payload)
            return ["currentTime": time]
        case "StatusNotification":
            let reader = try PayloadReader(payload)
            _ = try reader.date("timestamp")
            let status = try reader.oneOf("connectorStatus", ConnectorStatus201.self)
            let evse = try reader.integer("evseId")
            _ = try reader.integer("connectorId")
            if evse == policy.connector {
                connectorStatus = status
                if status == .available { finished = false }
                refresh()
            }
            return [:]
        case "TransactionEvent":
            return try transactionEvent(payload, now: now, wall: wall, notes: &notes)
        case "MeterValues":
            let reader = try PayloadReader(payload)
            let evse = try reader.integer("evseId")
            let reading = try Self.read(try reader.array("meterValue"), into: record.meter, notes: &notes)
            if evse == policy.connector { take(reading) }
            return [:]
        case "Authorize":
            let reader = try PayloadReader(payload)
            let token = try Self.idToken(try reader.object("idToken"))
            _ = try reader.optionalString("certificate", max: 5500)
            _ = try reader.optionalArray("iso15118CertificateHashData")
            let decision = policy.authorizer.decide(token, wall)
            notes.append("id token \(token): \(decision.status.rawValue) (\(decision.reason))")
            return ["idTokenInfo": TagAuthorizer.idTokenInfo201(decision)]
        case "NotifyEvent":
            try notifyEvent(payload, notes: &notes)
            return [:]
        case "DataTransfer":
            let reader = try PayloadReader(payload)
            _ = try reader.string("vendorId", max: 255)
            _ = try reader.optionalString("messageId", max: 50)
            return ["status": "UnknownVendorId"]
        case "SecurityEventNotification", "FirmwareStatusNotification", "LogStatusNotification", "NotifyReport":
            _ = try PayloadReader(payload)
            return [:]
        default:
            throw OCPPFailure(.notImplemented, "\(action) is not an action this central system handles")
        }
    }

    /// Meter values (MeterValueType[]) applied to a copy of `reading`.
    static func read(_ values: [JSONValue], into reading: MeterReading, notes: inout [String]) throws(OCPPFailure) -> MeterReading {
        var reading = reading
        for value in values {
            let entry = try PayloadReader(value)
            _ = try entry.date("timestamp")
            let samples = try entry.array("sampledValue")
            guard !samples.isEmpty else { throw OCPPFailure(.occurenceConstraintViolation, "sampledValue needs at least one value") }
            for sample in samples { try MeterSample.apply201(try PayloadReader(sample), to: &reading, notes: &notes) }
        }
        return reading
    }

    /// A new reading of the controlled EVSE; the first register of a transaction that began without one is its start.
    mutating func take(_ reading: MeterReading) {
        record.meter = reading
        if startRegisterPending, let energy = reading.energyWh, record.transaction != nil {
            record.transaction?.meterStartWh = energy
            startRegisterPending = false
        }
    }

    /// IdTokenType: the token and its kind.
    static func idToken(_ reader: PayloadReader) throws(OCPPFailure) -> String {
        let token = try reader.string("idToken", max: 36)
        _ = try reader.oneOf("type", IdTokenKind201.self)
        _ = try reader.optionalArray("additionalInfo")
        return token
    }

    /// The connector in the bridge's terms, from its status and its transaction's charging state.
    mutating func refresh() {
        let occupied = connectorStatus == .occupied || (connectorStatus == nil && record.transaction != nil)
        record.plugged = occupied
        record.faulted = connectorStatus == .faulted
        guard !occupied else {
            record.state = switch (record.transaction != nil ? chargingState : nil, finished) {
            case (.charging?, _): .charging
            case (.suspendedEV?, _): .suspendedEV
            case (.suspendedEVSE?, _): .suspendedEVSE
            case (_, true): .finishing
            default: .preparing
            }
            return
        }
        record.state = switch connectorStatus {
        case .available?: .available
        case .reserved?: .reserved
        case .unavailable?: .unavailable
        case .faulted?: .faulted
        case .occupied?, nil: nil
        }
    }
}

/// One event a station reported (NotifyEvent's EventDataType): which component and variable,
/// the value, and why.
public struct StationEvent: Sendable, Equatable {
    public var id: Int
    public var component: String
    public var variable: String
    public var value: String
    public var trigger: String
    public var cleared: Bool
}
