/// What a charger of a zone does when it loses contact with the bridge [Circontrol Dynamic Load
/// Management Premium manual, offline modes 0–3]. The zone reserves what its offline chargers may draw.
public enum OfflineMode: Int, Sendable, Equatable {
    /// Every charger stops (degraded setpoint 0).
    case stop = 0
    /// The charger keeps its last setpoint: the zone reserves it for the whole outage.
    case keepLast = 1
    /// Active sessions continue at the offline current; new sessions stay paused.
    case activeSessions = 2
    /// Every session, new ones included, charges at the offline current.
    case allSessions = 3
}

/// One switchboard of the zone tree as configured [SPEC §6.3, Schneider §1.4].
public struct ZoneSettings: Sendable, Equatable {
    public var id: String
    /// The enclosing zone's id; nil for a top-level zone.
    public var parent: String?
    /// EVSE sub-distribution limit per grid phase that holds at any voltage, amperes: `limit_a`, with
    /// `limit_kw` converted at `PowerLimit.worstCaseVoltage`. With a meter's voltages: `limit(voltages:)`.
    public var limit: [Double]
    /// `limit_a` alone (infinite: only a power limit) and `limit_kw` in watts (nil: none).
    public var currentLimit: [Double]
    public var powerLimitW: Double?
    /// Increases follow the zone meter's moving average over this long (0: every sample).
    public var meterAverage: Seconds = 0
    /// Dynamic: a meter measures the zone and the EVs get what the other loads leave. Static: a fixed limit.
    public var dynamic = false
    /// Whether the zone meter sees the zone's chargers too.
    public var meterIncludesChargers = true
    /// Safety margin per phase, amperes.
    public var headroom: [Double] = [0, 0, 0]
    /// Safety margin as a percentage of the limit (0–50 %) [Circontrol safety margin]; the larger of
    /// this and `headroom` applies.
    public var headroomPercent: Double = 0
    /// What its chargers do without contact (default: the offline current for every session, as before).
    public var offlineMode: OfflineMode = .allSessions
    /// Modes 2 and 3: the current chargers fall back to (nil: the degraded computation alone).
    public var offlineCurrent: Double?
    /// A fixed per-charger limit while disconnected (Bender: 8 A); nil: none.
    public var disconnectedLimit: Double?
    /// Limit per phase while the zone meter is lost: the zone turns static at this (default 0 = stop).
    public var degradedLimit: [Double] = [0, 0, 0]
    /// Largest allowed difference between the phase currents at the zone's connection point (e.g. 20 A).
    public var imbalanceLimit: Double?
    /// Time-of-use periods (by index) that do not apply to this zone.
    public var disabledPeriods: Set<Int> = []
    /// A remote energy manager may set this zone's limit, with a heartbeat (nil: it may not).
    public var setpoint: ZoneSetpoint.Settings?

    public init(id: String, parent: String? = nil, limit: [Double]) {
        self.id = id
        self.parent = parent
        self.limit = limit
        currentLimit = limit
    }

    /// A zone with `limit_a`, `limit_kw` or both (at least one).
    public init(id: String, parent: String? = nil, amperes: [Double]?, watts: Double?) {
        let limit = PowerLimit.limit(amperes: amperes, watts: watts, voltages: nil) ?? [.infinity, .infinity, .infinity]
        self.init(id: id, parent: parent, limit: limit)
        currentLimit = amperes ?? [.infinity, .infinity, .infinity]
        powerLimitW = watts
    }

    /// The limit per phase at its meter's voltages now (the stricter of `limit_a` and `limit_kw`;
    /// nil voltages: no fresh reading, the worst case).
    public func limit(voltages: [Double]?) -> [Double] {
        guard powerLimitW != nil else { return limit }
        return PowerLimit.limit(amperes: currentLimit, watts: powerLimitW, voltages: voltages) ?? limit
    }

    /// The margin in force per phase: the larger of the amperes and the percentage of the limit.
    public var effectiveHeadroom: [Double] {
        (0..<3).map { max(headroom[$0], limit[$0] * headroomPercent / 100) }
    }
}

/// Detection of vehicles that do not draw what they are given [Circontrol §7.4.4, SPEC §6.3].
public struct DemandSettings: Sendable, Equatable {
    /// State B ("connected, not charging") detection.
    public var stateBDetection = true
    /// A vehicle offered current that stays in state B this long is queued…
    public var waitingTime: Seconds = 60
    /// …for this long, then tried again…
    public var retryPeriod: Seconds = 30
    /// …this many times; after that it only gets what nobody else can use.
    public var retries = 2
    /// A vehicle drawing less than its setpoint − margin for `lowConsumptionDelay` is held at its draw + margin.
    public var lowConsumption = true
    /// Circontrol DLM §7.4.4 instead: a vehicle drawing below `lowConsumptionThreshold` for
    /// `lowConsumptionDelay` is queued like one in state B (its share goes to the others, it is
    /// offered current again after `retryPeriod`, `retries` times) and is back as soon as it draws
    /// at least the threshold.
    public var lowConsumptionQueues = false
    /// IEC 61851-1's minimum: below it a vehicle counts as a low consumer.
    public var lowConsumptionThreshold: Double = 6
    public var margin: Double = 2
    public var lowConsumptionDelay: Seconds = 60
    public init() {}
}

/// Load management across many chargers [SPEC §6.3].
public struct LoadSettings: Sendable, Equatable {
    /// Zones, parents before their children.
    public var zones: [ZoneSettings] = []
    public var policy: AllocationPolicy = .equalShare
    /// FIFO read literally (Vestel EVC08 installation guideline §16.7.5.3: "when a new EV arrives, it
    /// waits until an EV finishes its charge or leaves"): a later EV gets 0 while less than its minimum
    /// remains after the earlier ones took their maximum. Off: every EV gets its minimum first.
    public var fifoNewEVWaits = false
    public var pauseOrder: PauseOrder = .highestPlugFirst
    /// With the energy or duration orders, who pauses is re-decided this often so paused EVs get their turn.
    public var pauseRotation: Seconds = 900
    public var demand = DemandSettings()
    public var timeOfUse: TimeOfUse?
    public var offPeak: OffPeakSettings?
    /// A random delay at every session start, drawn in [0, this) seconds (Vestel EVC08 §16.1, §17:
    /// UK smart charging, 600 s by default; 0: none). With `offPeak` its own delay applies instead.
    public var sessionRandomDelayMax: Seconds = 0
    /// Id tags served first (like priority chargers), within `prioritySchedule` when one is set.
    public var priorityTags: Set<String> = []
    /// Hours of the week in which priority applies; nil = always.
    public var prioritySchedule: WeeklyHours?
    /// A zone meter without a valid sample for this long is lost.
    public var meterStaleAfter: Seconds = 5
    public init() {}

    /// A vehicle is served first now: its charger or its id tag (configured, or a priority entry of
    /// the local list: `listTags`) has priority, within the priority hours
    /// (without local time only when no hours are set).
    public func hasPriority(charger priority: Bool, idTag: String, listTags: Set<String> = [], time: LocalTime?) -> Bool {
        let slot = time.map { prioritySchedule?.contains($0) ?? true } ?? (prioritySchedule == nil)
        return slot && (priority || priorityTags.contains(idTag) || listTags.contains(idTag))
    }
}
