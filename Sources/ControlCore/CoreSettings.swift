import EnergyControl
import SiteConfiguration

/// What an input does when active [SPEC §7].
public enum InputRole: String, Sendable, CaseIterable {
    case loadShedding = "load_shedding", enable, downgrade, reduction1, reduction2, reduction3
    /// An FNN control box's contacts (§14a EnWG): W4 closed dims the chargers to the utility power;
    /// S1/S2 are the feed-in steps, shown only.
    case dimming, feedInS1 = "feed_in_s1", feedInS2 = "feed_in_s2"
}

/// Everything the control core is configured with: the site's loops, its zones, its chargers and
/// inputs. The service builds it from its configuration file, the scenario runner from a scenario.
public struct CoreSettings: Sendable {
    public struct Charger: Sendable {
        public var id: String
        public var limits: ChargerLimits
        /// Follow-the-sun mode at start (max-hybrid: no sun limit).
        public var mode: ChargeMode
        /// Zone, wiring, plug id and priority in the load management.
        public var placement: ChargerPlacement
        /// The failsafe current and timeout of the master contract until a master sets its own.
        public var failsafeCurrent: Int
        public var failsafeTimeout: Int
        /// The charger's own watchdog: after this long without contact it falls back to the failsafe
        /// current the bridge pushed (nil: it keeps none).
        public var ownFailsafeTimeout: Seconds?
        /// The configured serial (sessions record the charger's own where it reports one).
        public var serial = ""
        /// The charger's name as configured (the station name of its charging data records).
        public var name = ""

        public init(id: String, limits: ChargerLimits, mode: ChargeMode = .maxHybrid, placement: ChargerPlacement = ChargerPlacement(),
                    failsafeCurrent: Int, failsafeTimeout: Int = 20, ownFailsafeTimeout: Seconds? = nil) {
            self.id = id
            self.limits = limits
            self.mode = mode
            self.placement = placement
            self.failsafeCurrent = failsafeCurrent
            self.failsafeTimeout = failsafeTimeout
            self.ownFailsafeTimeout = ownFailsafeTimeout
        }
    }

    public struct Input: Sendable {
        public var id: String
        public var role: InputRole
        public var invert: Bool
        public var debounce: Seconds
        /// How often it is read (an unreadable input is reported after three periods).
        public var period: Seconds
        /// Its value arrives as an operator command (MQTT); otherwise it is read from a file or Modbus.
        public var remote: Bool
        /// Where it is read from, for messages ("file", "modbus", "mqtt").
        public var source: String

        public init(id: String, role: InputRole, invert: Bool = false, debounce: Seconds = 0.1, period: Seconds = 0.2,
                    remote: Bool = false, source: String = "mqtt") {
            self.id = id
            self.role = role
            self.invert = invert
            self.debounce = debounce
            self.period = period
            self.remote = remote
            self.source = source
        }
    }

    public var site: SiteSettings
    /// Load management across zones (nil: only the main fuse is shared).
    public var load: LoadSettings?
    public var chargers: [Charger]
    public var inputs: [Input]
    /// The grid meter's id (nil: none configured, so it can never be lost).
    public var gridMeter: String?
    /// The PV meter's id: without a grid meter the sun modes' surplus is its production (nil: none).
    public var pvMeter: String?
    /// The house battery's meter id (nil: none).
    public var batteryMeter: String?
    /// Sessions are tracked and recorded (storage changes in each step's result).
    public var recordSessions: Bool
    /// How long an open session may go without a checkpoint while energy flows.
    public var checkpointSeconds: Double
    /// A utility power limit read from a gateway's register, with heartbeat and failsafe (nil: none).
    public var utilityGateway: UtilityGateway.Settings?

    public init(site: SiteSettings, load: LoadSettings? = nil, chargers: [Charger], inputs: [Input] = [], gridMeter: String? = nil,
                recordSessions: Bool = false, checkpointSeconds: Double = 5) {
        self.site = site
        self.load = load
        self.chargers = chargers
        self.inputs = inputs
        self.gridMeter = gridMeter
        self.recordSessions = recordSessions
        self.checkpointSeconds = checkpointSeconds
    }

    /// Each charger's own fallback when load management gives it no degraded setpoint: its share of
    /// the main fuse (0 below its minimum), at most its configured failsafe current.
    var staticFailsafe: [Int] {
        chargers.map { charger in
            guard let fuse = site.fuse.limit else { return charger.failsafeCurrent }
            let available = zip(fuse, site.fuse.effectiveHeadroom).map { $0 - $1 }.min() ?? 0
            let share = Int((available / Double(chargers.count)).rounded(.down))
            return share >= charger.limits.highestMinimum ? min(share, charger.failsafeCurrent) : 0
        }
    }
}
