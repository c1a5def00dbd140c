import Foundation
import StorageModel

/// What the operator's HTTP endpoint shows, taken at one moment: every charger, meter, zone and
/// input, the newest events and the health summary. A plain value, so the page and the metrics
/// are rendered without touching the running service.
public struct SiteStatus: Sendable {
    public struct Charger: Sendable {
        public var id: String
        public var name: String
        public var online: Bool
        public var state: String
        public var setpoint: Int
        public var reason: String
        /// What the energy manager asks for (its charging current, or the failsafe current).
        public var request: Int
        public var maxCurrent: Int
        public var currents: [Double]
        public var powerW: Double
        public var energyWh: Double
        public var sessionEnergyWh: Double
        public var master: String?
        /// Its energy manager went silent (an alarm).
        public var failsafe: Bool
        /// No energy manager steers it: the local loops do.
        public var local: Bool
        /// An OCPP charge point that refused every way of limiting it (shed by availability only).
        public var steerable = true

        package init(id: String, name: String, online: Bool, state: String, setpoint: Int, reason: String, request: Int, maxCurrent: Int,
                     currents: [Double], powerW: Double, energyWh: Double, sessionEnergyWh: Double, master: String? = nil, failsafe: Bool,
                     local: Bool) {
            self.id = id
            self.name = name
            self.online = online
            self.state = state
            self.setpoint = setpoint
            self.reason = reason
            self.request = request
            self.maxCurrent = maxCurrent
            self.currents = currents
            self.powerW = powerW
            self.energyWh = energyWh
            self.sessionEnergyWh = sessionEnergyWh
            self.master = master
            self.failsafe = failsafe
            self.local = local
        }
    }

    public struct Meter: Sendable {
        /// What a meter measures, as the page and the energy flow name it.
        public enum Role {
            public static let grid = "grid", zone = "zone", pv = "pv", battery = "battery", shown = "shown"
        }

        public var id: String
        public var online: Bool
        /// Quantity name → SI value, sorted by name.
        public var values: [(name: String, value: Double)]
        /// `grid`, `zone`, `pv`, `battery` or `shown` (only shown).
        public var role: String

        package init(id: String, online: Bool, values: [(name: String, value: Double)], role: String = Role.shown) {
            self.id = id
            self.online = online
            self.values = values
            self.role = role
        }
    }

    public struct Zone: Sendable {
        public var id: String
        public var mode: String
        public var limit: [Double]
        public var available: [Double]
        public var allocated: [Double]
        /// Per phase: plugs that want current, those charging, and the other loads the zone's meter shows.
        public var plugs: [Int] = []
        public var charging: [Int] = []
        public var buildingLoad: [Double?] = []
        public var nextToPause: String?
        public var nextToResume: String?

        package init(id: String, mode: String, limit: [Double], available: [Double], allocated: [Double]) {
            self.id = id
            self.mode = mode
            self.limit = limit
            self.available = available
            self.allocated = allocated
        }
    }

    public struct Input: Sendable {
        public var id: String
        public var role: String
        /// nil: not read yet.
        public var active: Bool?

        package init(id: String, role: String, active: Bool? = nil) {
            self.id = id
            self.role = role
            self.active = active
        }
    }

    public var site: String
    public var chargers: [Charger]
    public var meters: [Meter]
    public var zones: [Zone]
    public var inputs: [Input]
    /// Newest first; empty without storage (`eventsRecorded` false).
    public var events: [EventRecord]
    public var eventsRecorded: Bool
    public var health: HealthSummary
    /// Unsent storage writes (0 without storage).
    public var storageBacklog: Int
    public var mqttConnected: Bool?
    /// The site's limit per phase in force: the main fuse, or with a kW limit the stricter of both at
    /// the grid meter's voltages; nil without one.
    public var fuseLimit: [Double]?
    /// The grid meter sees the chargers too (`meter_location: including`).
    public var gridIncludesChargers = true
    /// What the charts show; nil: not sampled (no `http:`).
    public var history: SiteHistory?
    /// The site's time zone: the charts' axes are in local time.
    public var timeZone = TimeZone.current
    /// The utility's signals now: its power limit on the chargers (watts, the §14a floor applied),
    /// off-peak by the site's rule, the tariff index the meter counts, the price of the slot in force.
    public var utilityLimitW: Double?
    /// Why a utility gateway's failsafe limit holds (nil: no gateway, or its limit is followed).
    public var utilityGatewayFailsafe: String?
    public var offPeak: Bool?
    public var tariff: Double?
    public var price: Double?

    package init(site: String, chargers: [Charger], meters: [Meter], zones: [Zone], inputs: [Input], events: [EventRecord],
                 eventsRecorded: Bool, health: HealthSummary, storageBacklog: Int, mqttConnected: Bool? = nil) {
        self.site = site
        self.chargers = chargers
        self.meters = meters
        self.zones = zones
        self.inputs = inputs
        self.events = events
        self.eventsRecorded = eventsRecorded
        self.health = health
        self.storageBacklog = storageBacklog
        self.mqttConnected = mqttConnected
    }
}
