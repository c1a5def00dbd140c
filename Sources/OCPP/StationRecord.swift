import Authorization
import EnergyControl
import Foundation

/// How the central system answers a charge point (from the configuration).
public struct ChargePointPolicy: Sendable, Equatable {
    /// The connector (1.6) or EVSE (2.0.1) the bridge controls (1 for a single-socket charger).
    public var connector = 1
    /// Seconds, sent in the BootNotification answer.
    public var heartbeatInterval = 60
    /// Who may charge (1.6 Authorize and StartTransaction, 2.0.1 Authorize and TransactionEvent).
    public var authorizer = TagAuthorizer.acceptAll
    /// The first transaction id handed out (1.6; ids must stay unique across restarts: seed from the clock).
    public var firstTransactionId = 1

    public init() {}
}

/// The last measurements a charge point sent, in SI units after unit and multiplier.
public struct MeterReading: Sendable, Equatable {
    public var currents: [Double?] = [nil, nil, nil]
    public var voltages: [Double?] = [nil, nil, nil]
    public var powerW: Double?
    public var energyWh: Double?
    public var soc: Double?
    public init() {}
}

/// A transaction as the charge point reported it (1.6 hands out numbers, 2.0.1 the station names it).
public struct Transaction: Sendable, Equatable {
    public var id: String
    public var idTag: String
    public var meterStartWh: Double
    public var startedAt: Double
    public var meterStopWh: Double?
    public var endedAt: Double?
}

/// What every version's session knows of the controlled connector, in the bridge's terms, and the
/// common status built from it: one mapping for 1.6 and 2.0.1.
public struct StationRecord: Sendable, Equatable {
    public var booted = false
    public var identity: [String: String] = [:]
    /// The connector's state (nil: not told yet).
    public var state: ChargePointState?
    /// The station as a whole is unavailable or faulted (1.6 connector 0).
    public var stationState: ChargePointState?
    public var plugged = false
    public var faulted = false
    /// The charger's own error, as it named it (empty: none; see `ReportedError`).
    public var error = ReportedError()
    public var meter = MeterReading()
    public var transaction: Transaction?
    /// The last finished transaction (its values stay on the EVC08 face until the next one).
    public var lastTransaction: Transaction?
    /// Monotonic time of the last message from the charge point.
    public var lastMessageAt: Double?

    public init() {}

    mutating func start(_ transaction: Transaction) {
        self.transaction = transaction
        if meter.energyWh == nil { meter.energyWh = transaction.meterStartWh }
    }

    /// Ends the running transaction with its last register (nil: the last one seen); returns it.
    mutating func end(meterStopWh: Double?, now: Double) -> Transaction? {
        guard var ended = transaction else { return nil }
        ended.meterStopWh = meterStopWh ?? meter.energyWh ?? ended.meterStartWh
        ended.endedAt = now
        lastTransaction = ended
        transaction = nil
        if let meterStopWh { meter.energyWh = meterStopWh }
        return ended
    }

    mutating func identify(_ fields: [String: String]) -> String {
        identity = fields
        booted = true
        return "boot: \(fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
    }

    public func chargerStatus(connector: Int, now: Double, online: Bool) -> ChargerStatus {
        var result = ChargerStatus()
        let effective = stationState == .unavailable || stationState == .faulted ? stationState : state
        result.state = effective ?? .unavailable
        result.cable = plugged ? .vehicleConnected : .noCable
        result.faultCode = faulted || !error.code.isEmpty ? max(1, error.number) : 0
        result.errorCode = error.code
        result.vendorErrorCode = error.vendorCode
        result.errorInfo = error.info
        result.vendor = identity["vendor"] ?? ""
        result.model = identity["model"] ?? ""
        result.serial = identity["serial"] ?? ""
        result.firmware = identity["firmware"] ?? ""
        result.currents = meter.currents.map { $0 ?? 0 }
        result.voltages = meter.voltages.map { $0 ?? 230 }
        result.energyWh = meter.energyWh ?? 0
        result.connector = connector
        if let transaction {
            result.transactionId = transaction.id
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

/// An error the charger reported: 1.6 StatusNotification errorCode (with its place in 1.6's list,
/// ConnectorLockFailure 1 … WeakSignal 15), vendorErrorCode and info; 2.0.1 an active Problem
/// event (NotifyEvent: the component, techCode and techInfo).
public struct ReportedError: Sendable, Equatable {
    public var code = ""
    /// The fault code on the EVC08 face (0: none; 1 where the version has no list).
    public var number = 0
    public var vendorCode = ""
    public var info = ""
    public init(code: String = "", number: Int = 0, vendorCode: String = "", info: String = "") {
        self.code = code
        self.number = number
        self.vendorCode = vendorCode
        self.info = info
    }
}
