import Foundation

/// One charging session. Open while `endedAt` is nil (at most one open session per charger).
/// Times are Unix seconds; energy in Wh; `periodEnergy` splits the energy by time-of-use period.
public struct SessionRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var charger: String
    public var startedAt: Double
    public var endedAt: Double?
    public var energyWh: Double
    public var idTag: String
    /// The highest current the vehicle drew in the session (any phase), amperes.
    public var maxCurrent: Double
    /// Energy per time-of-use period name, Wh (JSON in the database).
    public var periodEnergy: [String: Double]
    /// When the row was last written (the last checkpoint of an open session).
    public var updatedAt: Double
    /// Why it ended: `unplugged`, or `recovered` when it was closed after the bridge had been down.
    public var endReason: String?
    /// The charger's own energy meter at the start and at the last report (Wh), where it has one:
    /// what an invoice can be checked against.
    public var meterStartWh: Double?
    public var meterEndWh: Double?
    /// The charger's serial number (read from the charger where the driver can, else configured).
    public var chargerSerial: String = ""
    /// The charging data record's columns of the Schneider EV Charging Expert export (user guide
    /// §3.3.1): the socket outlet, the station's name, how the charge was authorised (`badge`: an
    /// id tag; `free`: none), the time energy actually flowed, a comment on anything unusual, and
    /// the charger's own transaction number where it has one (OCPP).
    public var connector: Int = 1
    public var stationName: String = ""
    public var chargeType: String = ChargeType.free
    public var effectiveChargeSeconds: Double = 0
    public var comment: String = ""
    public var chargerTransaction: String = ""

    public enum ChargeType {
        public static let badge = "badge", free = "free"
    }

    public init(id: Int64? = nil, charger: String, startedAt: Double, endedAt: Double? = nil, energyWh: Double = 0, idTag: String = "",
                maxCurrent: Double = 0, periodEnergy: [String: Double] = [:], updatedAt: Double, endReason: String? = nil) {
        self.id = id
        self.charger = charger
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.energyWh = energyWh
        self.idTag = idTag
        self.maxCurrent = maxCurrent
        self.periodEnergy = periodEnergy
        self.updatedAt = updatedAt
        self.endReason = endReason
    }

    public enum CodingKeys: String, CodingKey {
        case id, charger, startedAt = "started_at", endedAt = "ended_at", energyWh = "energy_wh", idTag = "id_tag"
        case maxCurrent = "max_current", periodEnergy = "period_energy", updatedAt = "updated_at", endReason = "end_reason"
        case meterStartWh = "meter_start_wh", meterEndWh = "meter_end_wh", chargerSerial = "charger_serial"
        case connector, stationName = "station_name", chargeType = "charge_type", effectiveChargeSeconds = "effective_charge_s"
        case comment, chargerTransaction = "charger_transaction"
    }

}

/// One entry of the event log (failsafe, master, meter, inputs, settings, configuration, service).
public struct EventRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var at: Double
    public var kind: String
    /// What it is about: a charger, meter, zone or input id; empty for the site.
    public var subject: String
    public var detail: String

    public init(id: Int64? = nil, at: Double, kind: String, subject: String = "", detail: String = "") {
        self.id = id
        self.at = at
        self.kind = kind
        self.subject = subject
        self.detail = detail
    }

}
