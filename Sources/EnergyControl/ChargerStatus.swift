/// OCPP-style charge point state, as the EVC08 layout reports it (register 1000).
public enum ChargePointState: Int, Sendable, Equatable {
    case available = 0, preparing, charging, suspendedEVSE, suspendedEV, finishing, reserved, unavailable, faulted

    /// The one spelling shown everywhere: MQTT, the status page, status lines.
    public var name: String {
        switch self {
        case .available: "available"
        case .preparing: "preparing"
        case .charging: "charging"
        case .suspendedEVSE: "suspended-evse"
        case .suspendedEV: "suspended-ev"
        case .finishing: "finishing"
        case .reserved: "reserved"
        case .unavailable: "unavailable"
        case .faulted: "faulted"
        }
    }
}

/// Cable / vehicle state (register 1004).
public enum CableState: Int, Sendable, Equatable {
    case noCable = 0, cableNoVehicle, vehicleConnected, vehicleLocked
}

/// What a charger driver reports: the measurements the control and the northbound views use.
public struct ChargerStatus: Sendable, Equatable {
    public var state: ChargePointState = .available
    /// The charger's identity as it reports it ("" where the driver cannot read it).
    public var serial = ""
    /// The manufacturer the charger reports (OCPP BootNotification); empty when it reports none.
    public var vendor = ""
    public var model = ""
    public var firmware = ""
    public var cable: CableState = .noCable
    public var faultCode: Int = 0
    /// The charger's own error, where it names one (OCPP ChargePointErrorCode such as
    /// "GroundFailure"; empty without an error), its vendor's code and text (Bender CC613 §9).
    public var errorCode = ""
    public var vendorErrorCode = ""
    public var errorInfo = ""
    /// Per-phase currents of the charger's L1..L3, amperes.
    public var currents: [Double] = [0, 0, 0]
    public var voltages: [Double] = [230, 230, 230]
    /// Total energy meter of the charger, Wh.
    public var energyWh: Double = 0
    public var sessionEnergyWh: Double = 0
    public var sessionSeconds: Double = 0
    public var idTag: String = ""
    /// The charger's own number for the session (an OCPP transaction id); empty when it has none.
    public var transactionId = ""
    /// The connector (socket outlet) of the session; 1 on a single-outlet charger.
    public var connector = 1
    /// Phases in use (1 or 3) as selected on the charger.
    public var activePhases: Int = 3
    /// Maximum current the vehicle's session allows (0 when none).
    public var sessionMaxCurrent: Int = 0
    /// False when the driver lost contact with the charger.
    public var online: Bool = true
    /// The setpoint the charger is known to have (the last one written to it successfully), amperes;
    /// nil when the driver cannot tell. It may still draw this after contact is lost.
    public var appliedSetpoint: Int?
    /// The charger's own answer to the last setpoint, where it gives one (OCPP: "Accepted",
    /// "Rejected", or a CALLERROR); empty when it gives none.
    public var setpointAnswer = ""
    /// How the setpoint reaches it (OCPP: the fallback ladder's way, e.g. "tx_default"); empty
    /// when there is only one way.
    public var profileWay = ""
    /// False when it takes no limit at all: control counts it at its ceiling or paused, never between.
    public var steerable = true

    public init() {}

    public var charging: Bool { state == .charging }
    /// A vehicle is plugged in (a session is running).
    public var plugged: Bool { cable == .vehicleConnected || cable == .vehicleLocked }
    public var powers: [Double] { zip(currents, voltages).map { $0 * $1 } }
    public var totalPower: Double { powers.reduce(0, +) }
}
