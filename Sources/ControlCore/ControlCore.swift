import EnergyControl
import SiteConfiguration
import StorageModel

/// Everything a control step decides, in one value: the energy loops and load management, the
/// debounced inputs, the operator's runtime settings, each charger's master contract (failsafe machine), the
/// failsafe currents pushed into the chargers, and the charging sessions. Pure: time, statuses
/// and samples come in as parameters, decisions, log lines and storage changes go out as values.
/// The service (behind one lock) and the scenario runner drive the same core.
public struct ControlCore: Sendable {
    /// A charger's operator settings; mode, limit and enable are persisted, force lasts one session.
    struct Runtime: Equatable {
        var mode: ChargeMode
        var currentLimit: Int?
        var enabled = true
        var forced = false
        var wasPlugged = false
    }

    /// What a charger's master asked for (through any face).
    struct Face {
        var machine: FailsafeMachine
        var requestedPhases: Int?
        var failsafeEntries = 0
    }

    public let settings: CoreSettings
    var controller: SiteController
    var inputs: [String: DebouncedInput]
    var meterLost: Bool
    var lastGrid: GridSample?
    /// The tariff the off-peak meter says is counting (nil: not known).
    var tariff: Double?
    /// Whether it was off-peak at the last step (nil: no off-peak rule).
    var offPeak: Bool?
    /// When a tariff was last heard.
    var tariffSeen: Seconds = -.infinity
    /// The utility's power limit as last commanded (MQTT), watts; nil: none.
    var utilityCommandW: Double?
    /// The utility limit in force as last announced (for its start, change and end events).
    var utilityInForce: Double?
    /// When a changed utility limit was last announced (changes are told at most once per interval).
    var utilityAnnounced: Seconds = -.infinity
    /// The utility limit read from a gateway's register (nil: none configured).
    var utilityGateway: UtilityGateway?
    /// The gateway's failsafe as last announced, when, and the entries not told yet.
    var gatewayAnnounced = (failsafe: false, at: -Double.infinity, entries: 0)
    /// G100: the grid power against the connection's import and export limits (nil: none set).
    var connectionMonitor: ConnectionLimitMonitor?
    /// The PV meter is the surplus's source and has no fresh reading (said once per change).
    var pvLost: Bool
    var crossCheck = MeterCrossCheck()
    /// Steps come from a timer and from bus threads; time never runs backwards for the loops.
    var lastStep: Seconds = -.infinity
    /// The degraded setpoint each charger last got as its own failsafe current (nil: none yet).
    var pushedFailsafe: [Int?]
    var runtime: [Runtime]
    /// The setpoint each charger last received while in contact: what it may still draw once lost
    /// (until its own watchdog moves it to the pushed failsafe current).
    var delivered: [Int?]
    /// Each charger's cap from its CPO backend (the uplink); nil: none.
    var backendLimits: [Int?]
    var faces: [Face]
    var views: [ChargerView]
    /// Incremented whenever a view changes (see `ChargerView.revision`).
    var revision: UInt64 = 0
    /// The failsafe current each charger would fall back to, as last computed (pushed or not).
    var lastDegraded: [Int?]
    /// Raw values of the inputs that arrive as commands, fed to their debouncers every step.
    var remoteInputs: [String: Bool] = [:]
    /// Set by `leaveSafe`: the chargers stay where they were left.
    public private(set) var stopped = false
    /// When each read input was last read, and those unreadable for too long.
    var inputSeen: [String: Seconds] = [:]
    var inputsUnreadable: Set<String> = []
    let started: Seconds
    /// What the database holds (restored or last saved): an unchanged setting is not written again.
    public internal(set) var saved = RuntimeSettings()
    /// A step changed what is saved (a plan's session target fixed at plug-in, a plan ended): the
    /// host saves the settings off the control step (`takeSettingsChanged`).
    var settingsChanged = false
    var sessions: SessionTracker
    /// Whether each charger answered at the last step (for the event log).
    var online: [Bool?]
    let staticFailsafe: [Int]
    let chargerIndex: [String: Int]
    let inputIndex: [String: Int]
    /// Remote setpoints of the zones that take one, by zone index.
    var zoneSetpoints: [Int: ZoneSetpoint] = [:]
    /// Charging plans by charger index, the price series they use and the last step's wall time.
    var plans: [Int: PlanState] = [:]
    var prices: PriceSeries?
    var lastWall: Double?

    /// Fails only on a zone tree the configuration loader would already have refused.
    public init(settings: CoreSettings, now: Seconds) throws(LoadManager.Problem) {
        self.settings = settings
        var inputs: [String: DebouncedInput] = [:]
        for input in settings.inputs {
            // until read, enable counts as closed (charging allowed) and the others as inactive
            inputs[input.id] = DebouncedInput(initial: input.role == .enable, debounce: input.debounce, now: now)
        }
        self.inputs = inputs
        var load: LoadManager?
        if let zones = settings.load { load = try LoadManager(settings: zones, siteFuse: settings.site.fuse.limit != nil) }
        controller = SiteController(settings: settings.site, load: load)
        controller.surplusSource = settings.gridMeter == nil && settings.pvMeter != nil ? .pv : .grid
        meterLost = settings.gridMeter != nil
        pvLost = controller.surplusSource == .pv
        pushedFailsafe = Array(repeating: nil, count: settings.chargers.count)
        runtime = settings.chargers.map { Runtime(mode: $0.mode) }
        delivered = Array(repeating: nil, count: settings.chargers.count)
        backendLimits = Array(repeating: nil, count: settings.chargers.count)
        lastDegraded = Array(repeating: nil, count: settings.chargers.count)
        faces = settings.chargers.map {
            Face(machine: FailsafeMachine(failsafeCurrent: $0.failsafeCurrent, failsafeTimeout: $0.failsafeTimeout, now: now))
        }
        views = settings.chargers.map {
            ChargerView(request: $0.failsafeCurrent, failsafeCurrent: $0.failsafeCurrent, failsafeTimeout: $0.failsafeTimeout,
                        chargingCurrent: $0.failsafeCurrent, mode: $0.mode)
        }
        started = now
        sessions = SessionTracker(checkpointInterval: settings.checkpointSeconds)
        online = Array(repeating: nil, count: settings.chargers.count)
        staticFailsafe = settings.staticFailsafe
        var chargerIndex: [String: Int] = [:]
        for (index, charger) in settings.chargers.enumerated() { chargerIndex[charger.id] = index }
        self.chargerIndex = chargerIndex
        var inputIndex: [String: Int] = [:]
        for (index, input) in settings.inputs.enumerated() { inputIndex[input.id] = index }
        self.inputIndex = inputIndex
        utilityGateway = settings.utilityGateway.map { UtilityGateway(settings: $0, now: now) }
        for (index, zone) in (settings.load?.zones ?? []).enumerated() {
            if let setpoint = zone.setpoint { zoneSetpoints[index] = ZoneSetpoint(settings: setpoint, zoneLimit: zone.limit) }
        }
    }

    /// Sessions the database still holds open. Those of chargers no longer configured can never end
    /// on their own: they are closed at their last checkpoint (the returned changes).
    public mutating func resume(openSessions: [SessionRecord]) -> [StorageChange] {
        sessions.resume(openSessions.filter { chargerIndex[$0.charger] != nil })
        return openSessions.filter { chargerIndex[$0.charger] == nil }.map { session in
            var closed = session
            closed.endedAt = session.updatedAt
            closed.endReason = "recovered"
            return .update(closed)
        }
    }

    // MARK: - Measurements

    /// A reading of a zone meter: it counts at the next step (dynamic zones get what the other loads leave).
    public mutating func recordZone(_ zone: Int, _ sample: GridSample) {
        _ = controller.load?.record(zone: zone, sample)
    }

    /// A reading of the PV meter (W produced): the sun modes' surplus without a grid meter, a cross-check with one.
    public mutating func recordPV(_ sample: PowerSample) {
        controller.recordPV(sample)
    }

    /// A reading of the house battery's meter (W, + discharge, − charge).
    public mutating func recordBattery(_ sample: PowerSample) {
        controller.recordBattery(sample)
    }

    /// A raw value of a file or Modbus input; nil = unreadable (it keeps its last debounced value).
    public mutating func inputRead(_ id: String, raw: Bool?, now: Seconds, wall: Double) -> Effects {
        var effects = Effects()
        guard let index = inputIndex[id] else { return effects }
        let input = settings.inputs[index]
        guard let raw else {
            // unreadable (a wrong path, an I/O module that does not answer): said once, shown as no value
            guard !inputsUnreadable.contains(id) else { return effects }
            if now - (inputSeen[id] ?? started) > max(1, 3 * input.period) {
                inputsUnreadable.insert(id)
                effects.logs.append(CoreLog(.warning, "input \(id) (\(input.role.rawValue)) cannot be read; it keeps its last value \(inputs[id]?.value == true ? "active" : "inactive")"))
            }
            return effects
        }
        inputSeen[id] = now
        if inputsUnreadable.remove(id) != nil { effects.logs.append(CoreLog(.notice, "input \(id) can be read again")) }
        noteInput(index, raw: raw, now: now, wall: wall, into: &effects.logs, &effects.storage)
        return effects
    }

    mutating func noteInput(_ index: Int, raw: Bool, now: Seconds, wall: Double, into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        let input = settings.inputs[index]
        guard inputs[input.id]?.update(raw != input.invert, now: now) == true else { return }
        let active = inputs[input.id]!.value
        logs.append(CoreLog(.notice, "input \(input.id) (\(input.role.rawValue)) is now \(active ? "active" : "inactive")"))
        if input.role == .loadShedding {
            storage.append(.event(EventRecord(at: wall, kind: (active ? EventKind.loadSheddingOn : .loadSheddingOff).rawValue, subject: input.id)))
        } else {
            storage.append(.event(EventRecord(at: wall, kind: EventKind.inputChanged.rawValue, subject: input.id,
                                              detail: "\(input.role.rawValue) \(active ? "active" : "inactive")")))
        }
    }

    // MARK: - The step

    /// The PV meter as the surplus's source going stale or coming back, and the grid meter checked against it.
    mutating func notePV(now: Seconds, into logs: inout [CoreLog]) {
        let pv = controller.fresh(controller.lastPV, now: now)
        if controller.surplusSource == .pv, let id = settings.pvMeter, (pv == nil) != pvLost {
            pvLost = pv == nil
            logs.append(pvLost ? CoreLog(.warning, "PV meter \(id) lost: the sun modes have no surplus until it is read again")
                               : CoreLog(.notice, "PV meter \(id) online"))
        }
        guard settings.gridMeter != nil, settings.pvMeter != nil else { return }
        if let warning = crossCheck.observe(grid: meterLost ? nil : lastGrid, pv: pv,
                                            battery: controller.fresh(controller.lastBattery, now: now), now: now) {
            logs.append(CoreLog(.warning, warning))
        }
    }

    /// One control step.
    /// - Parameters:
    ///   - now: monotonic seconds (cadence, timeouts, ramps; never runs backwards here).
    ///   - wall: Unix seconds, only for what is recorded (sessions, events).
    ///   - localTime: local wall-clock time for time of use, off-peak and priority hours (nil: none apply).
    ///   - statuses: each charger's status, in configuration order.
    ///   - sample: a new grid-meter sample, if one arrived.
    public mutating func step(now time: Seconds, wall: Double, localTime: LocalTime?, statuses: [ChargerStatus],
                              sample: GridSample? = nil) -> StepResult {
        var result = StepResult()
        guard !stopped else { return result }
        let now = max(time, lastStep)
        lastStep = now
        lastWall = wall
        if let sample, controller.record(sample) {
            lastGrid = sample
            watchConnection(sample, now: now, wall: wall, into: &result.logs, &result.storage)
        }
        let lost = settings.gridMeter != nil && controller.meterLost(now: now)
        if lost != meterLost {
            meterLost = lost
            result.logs.append(lost ? CoreLog(.warning, "grid meter lost: falling back to \(settings.site.fuse.fallbackCurrent) A for all EVs")
                                    : CoreLog(.notice, "grid meter online"))
            result.storage.append(.event(EventRecord(at: wall, kind: (lost ? EventKind.meterLost : .meterRecovered).rawValue, subject: settings.gridMeter ?? "")))
        }
        notePV(now: now, into: &result.logs)
        if settings.recordSessions { recordSessions(statuses, wall: wall, localTime: localTime, into: &result.storage) }
        for (id, raw) in remoteInputs.sorted(by: { $0.key < $1.key }) {
            if let index = inputIndex[id] { noteInput(index, raw: raw, now: now, wall: wall, into: &result.logs, &result.storage) }
        }
        tickZoneSetpoints(now: now, wall: wall, into: &result.logs, &result.storage)
        let controls = settings.chargers.indices.map { index in
            let charger = settings.chargers[index], placement = charger.placement
            var control = ChargerControlInput(id: charger.id, limits: charger.limits, status: statuses[index],
                                              mode: runtime[index].mode, forced: runtime[index].forced,
                                              plug: placement.plug, zone: placement.zone, rotation: placement.rotation,
                                              priority: placement.priority, failsafeTimeout: charger.ownFailsafeTimeout,
                                              lastSetpoint: statuses[index].appliedSetpoint ?? delivered[index])
            // a charger that takes no limit draws what it likes once it charges: it gets its ceiling or
            // nothing (paused), and is counted at its ceiling
            if !statuses[index].steerable {
                control.limits.minCurrent = control.limits.ceiling
                control.limits.minCurrentThreePhase = control.limits.ceiling
                control.lastSetpoint = control.limits.ceiling
            }
            control.operatorLimit = runtime[index].currentLimit
            control.backendLimit = backendLimits[index]
            control.enabled = runtime[index].enabled
            control.planLimit = planLimit(index, status: statuses[index], wall: wall, forced: runtime[index].forced, into: &result.logs)
            control.disconnectedLimit = placement.disconnectedLimit
            endForcedSession(index, plugged: control.plugged, into: &result.logs)
            return control
        }
        ageTariff(now: now, wall: wall, into: &result.logs, &result.storage)
        tickUtilityGateway(now: now, wall: wall, into: &result.logs, &result.storage)
        noteUtilityLimit(now: now, wall: wall, into: &result.logs, &result.storage)
        offPeak = offPeakNow(localTime)
        let outputs = controller.step(now: now, chargers: controls, inputs: siteInputs, time: localTime)
        result.chargers.reserveCapacity(settings.chargers.count)
        for index in settings.chargers.indices {
            let charger = settings.chargers[index]
            // the charger falls back to its degraded setpoint on its own if the bridge goes silent
            // (a charger that was lost may have restarted with its factory value: push it again)
            if !statuses[index].online { pushedFailsafe[index] = nil }
            var effect = ChargerEffect(decision: SetpointDecision(amperes: 0, reason: .failsafe))
            let degraded = fallbackCurrent(index, computed: outputs[index].degraded ?? staticFailsafe[index])
            lastDegraded[index] = degraded
            if let timeout = charger.ownFailsafeTimeout, statuses[index].online, degraded != pushedFailsafe[index] {
                effect.pushFailsafe = (degraded, timeout)
                pushedFailsafe[index] = degraded
            }
            if faces[index].machine.tick(now: now) {
                faces[index].failsafeEntries += 1
                let current = faces[index].machine.failsafeCurrent
                result.logs.append(CoreLog(.warning, "failsafe entered: the master was silent for more than \(faces[index].machine.failsafeTimeout) s; request is now the failsafe current \(current) A",
                                           charger: charger.id))
                result.storage.append(.event(EventRecord(at: wall, kind: EventKind.failsafeEntered.rawValue, subject: charger.id, detail: "request \(current) A")))
            }
            let machine = faces[index].machine
            effect.decision = SetpointPolicy.decide(request: machine.request, failsafe: machine.isFailsafe, limits: charger.limits,
                                                    caps: outputs[index].cap.map { [$0] } ?? [], phases: controls[index].phasesInUse)
            effect.phases = outputs[index].phases ?? faces[index].requestedPhases
            result.chargers.append(effect)
            if statuses[index].online { delivered[index] = effect.decision.amperes }
            views[index].status = statuses[index]
            views[index].startAt = outputs[index].delayedUntil.map { (wall + ($0 - now)).rounded() }
            views[index].decision = effect.decision
            refreshView(index)
        }
        return result
    }

    /// What a charger may fall back to on its own: the computed degraded setpoint, at most its own
    /// disconnected limit and the operator's limit, 0 when the operator disabled it, and 0 below its
    /// minimum (a charger refuses a failsafe current it cannot charge at, or rounds it up).
    func fallbackCurrent(_ index: Int, computed: Int) -> Int {
        let charger = settings.chargers[index]
        var amperes = computed
        if let limit = charger.placement.disconnectedLimit { amperes = min(amperes, Int(limit.rounded(.down))) }
        if let limit = runtime[index].currentLimit { amperes = min(amperes, limit) }
        if let limit = backendLimits[index] { amperes = min(amperes, limit) }
        if !runtime[index].enabled { amperes = 0 }
        return amperes < charger.limits.highestMinimum ? 0 : amperes
    }

    /// A forced charge lasts one session: it ends when the vehicle leaves.
    mutating func endForcedSession(_ index: Int, plugged: Bool, into logs: inout [CoreLog]) {
        if runtime[index].forced, runtime[index].wasPlugged, !plugged {
            runtime[index].forced = false
            logs.append(CoreLog(.notice, "forced charge ended with the session", charger: settings.chargers[index].id))
        }
        runtime[index].wasPlugged = plugged
    }

    /// Sessions, and chargers lost or back, as storage changes.
    mutating func recordSessions(_ statuses: [ChargerStatus], wall: Double, localTime: LocalTime?, into changes: inout [StorageChange]) {
        let period = localTime.flatMap { settings.load?.timeOfUse?.period(at: $0, tariff: tariff) } ?? SessionExport.standardPeriod
        for (index, status) in statuses.enumerated() {
            let id = settings.chargers[index].id
            if online[index] != status.online {
                if online[index] != nil || !status.online {
                    changes.append(.event(EventRecord(at: wall, kind: (status.online ? EventKind.chargerOnline : .chargerOffline).rawValue, subject: id)))
                }
                online[index] = status.online
            }
            changes += sessions.observe(charger: id, status: status, now: wall, period: period, serial: settings.chargers[index].serial,
                                        name: settings.chargers[index].name)
        }
    }

    /// The charger's view after its status, decision, face or runtime changed.
    mutating func refreshView(_ index: Int) {
        revision &+= 1
        views[index].revision = revision
        let machine = faces[index].machine
        views[index].request = machine.request
        views[index].failsafe = machine.isFailsafe
        views[index].failsafeCurrent = machine.failsafeCurrent
        views[index].failsafeTimeout = machine.failsafeTimeout
        views[index].chargingCurrent = machine.chargingCurrent
        views[index].masterEnabled = machine.enabled
        views[index].requestedPhases = faces[index].requestedPhases
        views[index].failsafeEntries = faces[index].failsafeEntries
        views[index].mode = runtime[index].mode
        views[index].currentLimit = runtime[index].currentLimit
        views[index].enabled = runtime[index].enabled
        views[index].forced = runtime[index].forced
        views[index].plan = plans[index]?.plan
    }

    /// The status a charger reported after its setpoint was applied (the views show it at once).
    public mutating func publish(_ index: Int, status: ChargerStatus) {
        guard views[index].status != status else { return }
        views[index].status = status
        refreshView(index)
    }

    /// How often the charger entered failsafe (a master's socket is closed when it does).
    public func failsafeEntries(_ index: Int) -> Int { faces[index].failsafeEntries }

    /// On shutdown every charger is left at its failsafe current — the one in force (the master may
    /// have set its own), never above the degraded setpoint load management gave it —
    /// which it would fall back to anyway. Nothing steps the chargers after this.
    public mutating func leaveSafe(wall: Double) -> (decisions: [SetpointDecision], storage: [StorageChange]) {
        var decisions: [SetpointDecision] = []
        for index in settings.chargers.indices {
            // never above the fallback load management gave it, pushed or (offline, no watchdog) not
            let request = min(faces[index].machine.failsafeCurrent, pushedFailsafe[index] ?? lastDegraded[index] ?? .max)
            let safe = SetpointPolicy.decide(request: request, failsafe: true, limits: settings.chargers[index].limits)
            decisions.append(safe)
            views[index].decision = safe   // the northbound views show what the charger was left at
            refreshView(index)
        }
        stopped = true
        return (decisions, settings.recordSessions ? sessions.checkpointAll(now: wall) : [])
    }

    // MARK: - Views

    public var siteInputs: SiteInputs {
        var result = SiteInputs()
        for input in settings.inputs where inputs[input.id]?.value == true {
            switch input.role {
            case .loadShedding: result.loadShedding = true
            case .enable: break
            case .downgrade: result.downgrade = true
            case .reduction1: result.reductions.insert(0)
            case .reduction2: result.reductions.insert(1)
            case .reduction3: result.reductions.insert(2)
            case .dimming, .feedInS1, .feedInS2: break   // the utility limit below; S1/S2 are only shown
            }
        }
        for input in settings.inputs where input.role == .enable && inputs[input.id]?.value == false {
            result.enabled = false
        }
        result.tariff = tariff
        result.utilityLimitW = utilityLimitW
        return result
    }

    public func chargerView(_ index: Int) -> ChargerView { views[index] }

    public var zoneReports: [ZoneReport] { controller.load?.reports ?? [] }

    /// The last plausible grid sample (nil while the meter is lost).
    public var grid: GridSample? { meterLost ? nil : lastGrid }

    /// Ids of the inputs whose debounced value is "active" (for `enable`: open, charging stopped).
    public var activeInputs: [String] {
        settings.inputs.filter { inputs[$0.id]?.value == ($0.role != .enable) }.map(\.id)
    }

    public var view: ControlView {
        var limits: [String: [Double]] = [:]
        if let load = controller.load {
            for (zone, limit) in zip(load.settings.zones.map(\.id), load.operatorLimits) { if let limit { limits[zone] = limit } }
        }
        var setpoints: [String: ZoneSetpoint] = [:]
        for (index, setpoint) in zoneSetpoints { setpoints[settings.load!.zones[index].id] = setpoint }
        return ControlView(grid: grid, meterOnline: settings.gridMeter == nil ? nil : !meterLost, inputs: siteInputs,
                           inputValues: inputs.filter { !inputsUnreadable.contains($0.key) }.mapValues(\.value),
                           chargers: views, zones: zoneReports, operatorLimits: limits, zoneSetpoints: setpoints, offPeak: offPeak,
                           utilityLimitW: utilityLimitInForceW, price: currentPrice, fuseLimit: controller.limitInForce,
                           utilityGatewayFailsafe: utilityGatewayFailsafe)
    }
}
