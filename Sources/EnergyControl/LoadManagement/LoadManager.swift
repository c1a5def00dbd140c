/// What the load manager needs to know about one charger at a step.
public struct LoadChargerInput: Sendable {
    public var id: String
    public var plug: Int
    /// Index of its leaf zone in `LoadSettings.zones`; nil = directly under the site fuse.
    public var zone: Int?
    public var rotation: PhaseRotation
    /// Phases the charger is wired with (1 or 3): what a disconnected charger may load.
    public var chargerPhases: Int
    /// Phases the vehicle charges on now (detected from the measured currents).
    public var vehiclePhases: Int
    public var minimum: Double
    /// The most it may get from everything but the load manager (limits, sun, inputs, mode).
    public var maximum: Double
    public var priority: Bool
    public var plugged: Bool
    /// False while the bridge has no contact with the charger.
    public var online: Bool
    /// Currents it draws now on its L1, L2, L3, amperes.
    public var currents: [Double]
    public var sessionEnergyWh: Double
    public var sessionSeconds: Double
    public var idTag: String
    /// A forced charge cancels off-peak waiting and the random delay.
    public var forced: Bool
    /// The setpoint the charger was last sent (nil: the load manager's own last allocation is used).
    /// What the charger really has decides state-B detection and what a lost charger may still draw.
    public var setpoint: Double?
    /// The charger's own highest current (hardware, installation, cable): degraded setpoints never exceed it.
    public var ceiling: Double?
    /// A fixed limit of its own while disconnected (Bender: 8 A); nil: none.
    public var disconnectedLimit: Double?
    /// Whether the charger keeps a failsafe current of its own (the degraded setpoint is pushed there),
    /// and after how long without contact it falls back to it.
    public var failsafeTimeout: Seconds?

    public init(id: String, plug: Int, zone: Int?, rotation: PhaseRotation = .rst, chargerPhases: Int = 3, vehiclePhases: Int = 3,
                minimum: Double = 6, maximum: Double = 32, priority: Bool = false, plugged: Bool = true, online: Bool = true,
                currents: [Double] = [0, 0, 0], sessionEnergyWh: Double = 0, sessionSeconds: Double = 0, idTag: String = "", forced: Bool = false,
                failsafeTimeout: Seconds? = nil, setpoint: Double? = nil, ceiling: Double? = nil) {
        self.id = id
        self.plug = plug
        self.zone = zone
        self.rotation = rotation
        self.chargerPhases = chargerPhases
        self.vehiclePhases = vehiclePhases
        self.minimum = minimum
        self.maximum = maximum
        self.priority = priority
        self.plugged = plugged
        self.online = online
        self.currents = currents
        self.sessionEnergyWh = sessionEnergyWh
        self.sessionSeconds = sessionSeconds
        self.idTag = idTag
        self.forced = forced
        self.failsafeTimeout = failsafeTimeout
        self.setpoint = setpoint
        self.ceiling = ceiling
    }
}

/// The load manager's cap on one charger, and the current it should fall back to on its own.
public struct LoadChargerOutput: Sendable, Equatable {
    public var cap: CurrentCap
    /// The degraded setpoint to push into the charger's failsafe current [SPEC §6.3].
    public var degraded: Int
    /// Whether a session that starts while the charger has no contact may charge at `degraded`
    /// (offline mode 3); false in modes 0–2. A charger that cannot express this gets the same
    /// failsafe current either way, and its zone reserves it as if a new session could start.
    public var newSessionsOffline = true
    /// A random delay holds it until this time (monotonic seconds); nil: none running.
    public var delayedUntil: Seconds?
}

/// Load-management states of a zone [Circontrol §7.4.2].
public enum ZoneState: Int, Sendable, Equatable {
    /// Every active session can charge at least at its minimum.
    case availablePower = 1
    /// Sessions share what there is; a new one still fits at its minimum.
    case powerDecreasing
    /// A new session would have to wait.
    case limitedPower
    /// Some sessions are paused to avoid an overload.
    case powerExceeded
    /// Nothing can charge: every session is paused.
    case unavailablePower
}

public struct ZoneReport: Sendable, Equatable {
    public enum Mode: String, Sendable { case `static`, dynamic, degraded }
    public var id: String
    public var state: ZoneState
    public var mode: Mode
    /// What the EVs below it may draw per phase, and what they were given.
    public var available: [Double]
    public var allocated: [Double]
    /// Percentage of the maximum in force (time of use or a digital input).
    public var percent: Double
    /// The zone's limit per phase now: `limit_a`, or with `limit_kw` the stricter of both at the
    /// measured voltages (before an operator's or remote limit); nil for the site (its fuse is the
    /// controller's `limitInForce`).
    public var limit: [Double]?
    /// Per phase L1…L3 (Circontrol DLM §7.3.2, §7.4.2): plugs that want current there, charging and
    /// paused, the current shared out, and the other loads the zone's meter shows (nil: a static zone).
    public var phases: [PhaseReport] = []
    /// The vehicle that pauses first if current runs short, and the paused one that resumes first.
    public var nextToPause: String?
    public var nextToResume: String?

    public struct PhaseReport: Sendable, Equatable {
        public var plugs: Int
        public var charging: Int
        public var paused: Int
        public var shared: Double
        public var buildingLoad: Double?
    }
}

/// Load management across a tree of zones [SPEC §6.3]: zone availability (static, dynamic, time
/// of use, inputs, degraded), the allocation policies, state-B queueing and low consumption,
/// pause rotation, unbalanced-load prevention, off-peak charging, degraded setpoints. Pure: time,
/// local time and measurements come in; call `step` on every control tick.
public struct LoadManager: Sendable {
    public let settings: LoadSettings
    /// Configured zones, with the site fuse above them when there is one (index 0).
    public let tree: ZoneTree
    let offset: Int
    public private(set) var zoneSamples: [GridSample?]
    /// Per zone with `meterAverage`: its meter's moving average (what `zoneSamples` then holds).
    var zoneAveragers: [SampleAverager?] = []
    /// Per zone: its meter's voltages for `limit_kw` (what `zoneSamples` then holds; see `VoltageHold`).
    var zoneVoltageHolds: [VoltageHold] = []
    /// Operator sub-distribution limits set at runtime (never above the zone limit).
    public private(set) var operatorLimits: [[Double]?]
    /// Priority tags of the local list (entries with `priority`), beside the configured `priority_tags`.
    public var listPriorityTags: Set<String> = []
    /// Limits a remote energy manager set (or their failsafe), per zone; the lower of this and the
    /// operator's (or the zone's) limit applies.
    public private(set) var remoteLimits: [[Double]?]
    public private(set) var reports: [ZoneReport] = []
    /// Per zone, what its meter last showed of the other loads (kept for its ancestors while the meter is lost).
    var lastOthers: [[Double]?]

    struct ChargerState: Sendable {
        var arrival: Seconds
        var demand = DemandTracker()
        var offPeak = OffPeakGate()
        /// The session's random start delay, drawn once when the vehicle arrives (nil: not drawn yet).
        var sessionDelayUntil: Seconds?
        var offered = 0.0
        var lostAt: Seconds?
        /// The degraded setpoint the charger last got while in contact: what its watchdog falls back to.
        var pushedDegraded = 0
    }
    /// Per-charger state, in the order of the last step's inputs (the usual case: the same order every step).
    private var states: [ChargerState] = []
    private var stateIDs: [String] = []
    /// Vehicles paused for lack of current, in the order they paused.
    public internal(set) var pauseSequence: [String] = []
    /// Degraded setpoints change only with the chargers' placement, minimums and the operator limits.
    var degradedKey: [Double] = []
    var degradedCache: [Int] = []
    var lastRotation: Seconds?
    private var random: SeededRandom

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tree(ZoneTree.Problem), unknownParent(zone: String, parent: String), duplicate(String), unknownZone(String)
        case operatorLimit(zone: String)
        public var description: String {
            switch self {
            case .tree(let problem): problem.description
            case .unknownParent(let zone, let parent): "zone \(zone): parent \(parent) is not a zone listed before it"
            case .duplicate(let id): "zone \(id) is listed twice"
            case .unknownZone(let id): "no zone \(id)"
            case .operatorLimit(let zone): "zone \(zone): the operator limit must be 0 … the zone's sub-distribution limit on every phase"
            }
        }
    }

    /// - Parameter siteFuse: the site's main fuse sits above the zones (its availability comes with each step).
    public init(settings: LoadSettings, siteFuse: Bool, seed: UInt64 = 1) throws(Problem) {
        var zones: [ZoneTree.Zone] = siteFuse ? [ZoneTree.Zone(id: "site", limit: [.infinity, .infinity, .infinity])] : []
        let offset = zones.count
        var index: [String: Int] = [:]
        for zone in settings.zones {
            guard index[zone.id] == nil else { throw .duplicate(zone.id) }
            var parent: Int? = siteFuse ? 0 : nil
            if let id = zone.parent {
                guard let found = index[id] else { throw .unknownParent(zone: zone.id, parent: id) }
                parent = found
            }
            index[zone.id] = zones.count
            zones.append(ZoneTree.Zone(id: zone.id, parent: parent, limit: zone.limit))
        }
        do {
            // configured zones nest at most three levels; the site fuse adds one above them
            tree = try ZoneTree(zones, maxDepth: 3 + offset)
        } catch { throw .tree(error) }
        self.settings = settings
        self.offset = offset
        zoneSamples = Array(repeating: nil, count: settings.zones.count)
        zoneAveragers = settings.zones.map { $0.meterAverage > 0 ? SampleAverager(window: $0.meterAverage) : nil }
        zoneVoltageHolds = Array(repeating: VoltageHold(), count: settings.zones.count)
        operatorLimits = Array(repeating: nil, count: settings.zones.count)
        remoteLimits = Array(repeating: nil, count: settings.zones.count)
        lastOthers = Array(repeating: nil, count: settings.zones.count)
        random = SeededRandom(seed: seed)
    }

    /// Each charger's state from the last step (matched by id when the order changed), fresh for new ones.
    private func carriedStates(_ inputs: [LoadChargerInput], now: Seconds) -> [ChargerState] {
        if stateIDs.count == inputs.count, zip(stateIDs, inputs).allSatisfy({ $0 == $1.id }) { return states }
        var byID: [String: ChargerState] = [:]
        for (id, state) in zip(stateIDs, states) { byID[id] = state }
        return inputs.map { byID[$0.id] ?? ChargerState(arrival: now) }
    }

    /// Only the site's main fuse, no zones: cannot fail.
    public init(siteFuseOnly settings: LoadSettings, seed: UInt64 = 1) {
        var settings = settings
        settings.zones = []
        self.settings = settings
        tree = ZoneTree(site: ZoneTree.Zone(id: "site", limit: [.infinity, .infinity, .infinity]))
        offset = 1
        zoneSamples = []
        operatorLimits = []
        remoteLimits = []
        lastOthers = []
        random = SeededRandom(seed: seed)
    }

    public func zoneIndex(_ id: String) -> Int? { settings.zones.firstIndex { $0.id == id } }

    /// A zone meter's reading (implausible or older samples are ignored; the meter ages towards lost).
    @discardableResult
    public mutating func record(zone: Int, _ sample: GridSample) -> Bool {
        guard sample.isPlausible, sample.time >= (zoneSamples[zone]?.time ?? -.infinity) else { return false }
        zoneSamples[zone] = zoneAveragers.indices.contains(zone) ? zoneAveragers[zone]?.add(sample) ?? sample : sample
        if zoneVoltageHolds.indices.contains(zone) { zoneSamples[zone]?.voltages = zoneVoltageHolds[zone].add(sample.voltages, at: sample.time) }
        return true
    }

    /// The operator sub-distribution limit (an EMS may change it at runtime); nil restores the zone limit.
    public mutating func setOperatorLimit(zone id: String, _ limit: [Double]?) throws(Problem) {
        guard let zone = zoneIndex(id) else { throw .unknownZone(id) }
        if let limit {
            guard limit.count == 3, zip(limit, settings.zones[zone].limit).allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= $1 }) else {
                throw .operatorLimit(zone: id)
            }
        }
        operatorLimits[zone] = limit
    }

    /// A zone's remote limit (`ZoneSetpoint.limit`); nil: none. Never raises the zone above its limits.
    public mutating func setRemoteLimit(zone index: Int, _ limit: [Double]?) {
        remoteLimits[index] = limit.map { zip($0, settings.zones[index].limit).map { max(0, min($0, $1)) } }
    }

    /// What the zone's chargers and other loads may take per phase: `limit` (its configured one, or
    /// with `limit_kw` the one at its meter's voltages now), lowered by the operator's and a remote limit.
    func ceiling(zone k: Int, limit: [Double]) -> [Double] {
        var ceiling = limit
        if let operatorLimit = operatorLimits[k] { ceiling = zip(ceiling, operatorLimit).map { min($0, $1) } }
        if let remote = remoteLimits[k] { ceiling = zip(ceiling, remote).map { min($0, $1) } }
        return ceiling
    }

    /// Each zone's limit now: `limit_kw` at the voltages of its own meter while fresh, else of the
    /// grid meter (`gridVoltages`; nil: no fresh reading, the worst case).
    func limitsInForce(now: Seconds, gridVoltages: [Double]?) -> [[Double]] {
        settings.zones.indices.map { k in
            let zone = settings.zones[k]
            guard zone.powerLimitW != nil else { return zone.limit }
            if zone.dynamic, let sample = zoneSamples[k], now - sample.time <= settings.meterStaleAfter { return zone.limit(voltages: sample.voltages ?? []) }
            return zone.limit(voltages: gridVoltages)
        }
    }

    /// - Parameters:
    ///   - site: what the EVs may draw under the main fuse per phase and why (nil without a fuse).
    ///   - time: local wall-clock time for time of use, off-peak and priority hours (nil: none apply).
    ///   - gridVoltages: the grid meter's voltages for zones in kW without a meter of their own (empty: it
    ///     gives none, nominal; nil: no fresh reading, the worst case).
    public mutating func step(now: Seconds, time: LocalTime?, chargers inputs: [LoadChargerInput], inputs siteInputs: SiteInputs,
                              reductionPercent: [Double], downgradeOffset: [Double],
                              site: (perPhase: [Double], reason: LimitReason)?, gridVoltages: [Double]? = nil) -> [LoadChargerOutput] {
        let degraded = offlineSetpoints(cachedDegradedSetpoints(inputs), inputs)
        var states = carriedStates(inputs, now: now)
        var output = [LoadChargerOutput?](repeating: nil, count: inputs.count)
        let zoneOf = inputs.map { ($0.zone.map { $0 + offset }) ?? 0 }

        // what each zone leaves for the EVs, less what disconnected chargers may still draw
        let limits = limitsInForce(now: now, gridVoltages: gridVoltages)
        let zones = zoneAvailability(inputs, zoneOf: zoneOf, now: now, time: time, siteInputs: siteInputs, limits: limits,
                                     reductionPercent: reductionPercent, downgradeOffset: downgradeOffset, site: site)
        var available = zones.available
        for k in settings.zones.indices where zones.modes[k + offset] == .dynamic && settings.zones[k].dynamic {
            lastOthers[k] = zones.base[k + offset]
        }
        // participants
        var participants: [Participant] = []
        var participantOf: [Int] = []
        var heldReason = [LimitReason?](repeating: nil, count: inputs.count)
        for (index, charger) in inputs.enumerated() {
            if !charger.online {
                let lostAt = states[index].lostAt ?? now
                states[index].lostAt = lostAt
                // until the charger's own watchdog has moved it to its degraded setpoint (the one it got while
                // in contact, not today's) it may draw what it last had
                // (offline mode 1: the charger keeps its last setpoint for the whole outage)
                let mode = charger.zone.map { settings.zones[$0].offlineMode } ?? .allSessions
                let fellBack = mode != .keepLast && (charger.failsafeTimeout.map { now - lostAt >= $0 } ?? false)
                let fallback = Double(max(states[index].pushedDegraded, degraded[index]))
                let reserve = fellBack ? fallback : max(charger.setpoint ?? states[index].offered, fallback)
                for zone in tree.paths[zoneOf[index]] {
                    for phase in charger.rotation.gridPhases(vehiclePhases: charger.chargerPhases) { available[zone][phase] -= reserve }
                }
                output[index] = LoadChargerOutput(cap: CurrentCap(0, .offline), degraded: degraded[index])
                continue
            }
            states[index].lostAt = nil
            states[index].pushedDegraded = degraded[index]
            guard charger.plugged else {
                states[index] = ChargerState(arrival: now)
                output[index] = LoadChargerOutput(cap: CurrentCap(0, .noVehicle), degraded: degraded[index])
                continue
            }
            var delayedUntil: Seconds?
            if let offPeak = settings.offPeak, let time {
                let hold = states[index].offPeak.hold(forced: charger.forced, time: time, now: now, settings: offPeak,
                                                      tariff: siteInputs.tariff, random: &random)
                switch hold {
                case .none: break
                case .waitingForOffPeak: heldReason[index] = .offPeak
                case .randomDelay(let until):
                    heldReason[index] = .randomDelay
                    delayedUntil = until
                }
            } else if settings.sessionRandomDelayMax > 0, !charger.forced {
                // UK smart charging: every session starts after a random delay, drawn once on arrival
                let until = states[index].sessionDelayUntil ?? states[index].arrival + Double.random(in: 0..<settings.sessionRandomDelayMax, using: &random)
                states[index].sessionDelayUntil = until
                if now < until {
                    heldReason[index] = .randomDelay
                    delayedUntil = until
                }
            }
            if heldReason[index] != nil {
                states[index].demand = DemandTracker()     // held by us: not drawing says nothing about the car
                states[index].offered = 0
                output[index] = LoadChargerOutput(cap: CurrentCap(0, heldReason[index]!), degraded: degraded[index], delayedUntil: delayedUntil)
                continue
            }
            var participant = Participant(id: charger.id, plug: charger.plug, zone: zoneOf[index], rotation: charger.rotation,
                                          vehiclePhases: charger.vehiclePhases, minimum: charger.minimum, maximum: charger.maximum,
                                          priority: settings.hasPriority(charger: charger.priority, idTag: charger.idTag, listTags: listPriorityTags, time: time),
                                          arrival: states[index].arrival)
            switch states[index].demand.update(plugged: true, draw: charger.currents.max() ?? 0, offered: charger.setpoint ?? states[index].offered,
                                               minimum: charger.minimum, now: now, settings: settings.demand) {
            case .queued:
                participant.queued = true
                heldReason[index] = .queued
            case .active(let maximum?) where maximum < participant.maximum:
                participant.maximum = maximum
                heldReason[index] = .lowConsumption
                // A held car's phase count is judged from a small draw: it may charge on every phase the
                // charger has. Until the lower setpoint lands it may still draw the one it has: what lies
                // above the hold is not given away in this step.
                participant.vehiclePhases = max(participant.vehiclePhases, charger.chargerPhases)
                let landing = max(0, (charger.setpoint ?? states[index].offered) - maximum)
                if landing > 0 {
                    for zone in tree.paths[zoneOf[index]] {
                        for phase in charger.rotation.gridPhases(vehiclePhases: participant.vehiclePhases) { available[zone][phase] -= landing }
                    }
                }
            case .active: break
            }
            participant.energyWh = charger.sessionEnergyWh
            participant.chargingSeconds = charger.sessionSeconds
            participants.append(participant)
            participantOf.append(index)
        }
        rotatePauses(now: now)
        if !pauseSequence.isEmpty {
            var rank: [String: Int] = [:]
            for (position, id) in pauseSequence.enumerated() { rank[id] = pauseSequence.count - position }
            for offset in participants.indices { participants[offset].pauseRank = rank[participants[offset].id] ?? 0 }
        }

        let amounts = allocate(participants, available: available, base: zones.base)
        updatePauses(participants, amounts)

        // outputs: the allocation as a cap, with the constraint that decided it
        let loads = participants.map { Allocator.flatConstraints($0, tree: tree) }
        var slack = available.flatMap { $0 }
        for (load, amperes) in zip(loads, amounts) { for c in load { slack[c] -= Double(amperes) } }
        for (offset, participant) in participants.enumerated() {
            let index = participantOf[offset]
            let amperes = Double(amounts[offset])
            states[index].offered = amperes
            let reason: LimitReason
            if participant.queued, amperes == 0 {
                reason = .queued
            } else if participant.maximum < participant.minimum {
                reason = heldReason[index] ?? .belowMinimum      // another loop leaves it less than its minimum
            } else if amperes < participant.maximum {
                // the tightest constraint on its path decided: the site fuse or a zone
                let binding = loads[offset].min { slack[$0] < slack[$1] }
                reason = binding.map { $0 / 3 } == 0 && self.offset == 1 ? site?.reason ?? .fuse : .zone
            } else {
                reason = heldReason[index] ?? .zone
            }
            output[index] = LoadChargerOutput(cap: CurrentCap(amperes, reason), degraded: degraded[index])
        }
        // (set for every charger, in contact or not: what it would do without the bridge)
        for index in inputs.indices {
            output[index]!.newSessionsOffline = (inputs[index].zone.map { settings.zones[$0].offlineMode } ?? .allSessions) == .allSessions
        }
        self.states = states
        if stateIDs.count != inputs.count || !zip(stateIDs, inputs).allSatisfy({ $0 == $1.id }) { stateIDs = inputs.map(\.id) }
        reports = zoneReports(participants, amounts, loads: loads, available: available, slack: slack, modes: zones.modes, percents: zones.percents)
        for k in limits.indices { reports[k + offset].limit = limits[k] }
        addPhaseReports(&reports, participants, amounts, loads: loads, base: zones.base)
        return output.map { $0! }
    }
}
