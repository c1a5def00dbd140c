/// What the site controller needs to know about one charger at a control step.
public struct ChargerControlInput: Sendable {
    public var id: String
    public var limits: ChargerLimits
    public var status: ChargerStatus
    public var mode: ChargeMode
    /// A one-session override to the maximum (cancelled by the caller when the session ends).
    public var forced: Bool
    /// Where it sits in the load management: plug id (nil = its position + 1), leaf zone index, wiring.
    public var plug: Int?
    public var zone: Int?
    public var rotation: PhaseRotation = .rst
    public var priority = false
    /// After this long without contact the charger falls back to its own failsafe current (nil: it has none).
    public var failsafeTimeout: Seconds?
    /// The setpoint the charger was last sent, after every cap and the EMS request (nil: unknown).
    public var lastSetpoint: Int?
    /// The operator's limit for this charger (MQTT `current_limit`), below its own maximum; nil: none.
    public var operatorLimit: Int?
    /// The charging plan's current now (0 outside its chosen slots); nil: no plan. One more cap.
    public var planLimit: Int?
    /// The CPO backend's limit through the uplink (its charging profiles); nil: none. One more cap.
    public var backendLimit: Int?
    /// False when the operator disabled the charger (MQTT `enable`): it gets 0 A.
    public var enabled = true
    /// Its own fixed limit while disconnected (Bender: 8 A); nil: none.
    public var disconnectedLimit: Double?

    public init(id: String, limits: ChargerLimits, status: ChargerStatus, mode: ChargeMode = .maxHybrid, forced: Bool = false,
                plug: Int? = nil, zone: Int? = nil, rotation: PhaseRotation = .rst, priority: Bool = false, failsafeTimeout: Seconds? = nil,
                lastSetpoint: Int? = nil) {
        self.id = id
        self.limits = limits
        self.status = status
        self.mode = mode
        self.forced = forced
        self.plug = plug
        self.zone = zone
        self.rotation = rotation
        self.priority = priority
        self.failsafeTimeout = failsafeTimeout
        self.lastSetpoint = lastSetpoint
    }

    /// The charger's own report, made safe to count: what it draws is subtracted from a meter that
    /// sees it, so an absurd report could free current that is not there. Currents count within
    /// 0 … its ceiling on three phases (non-finite: 0), voltages within 100 … 300 V (else 230 V).
    public var plausible: ChargerControlInput {
        if isPlausible { return self }
        var copy = self
        let ceiling = Double(limits.ceiling)
        copy.status.currents = (0..<3).map { phase in
            let value = phase < status.currents.count ? status.currents[phase] : 0
            return value.isFinite ? min(max(0, value), ceiling) : 0
        }
        copy.status.voltages = (0..<3).map { phase in
            let value = phase < status.voltages.count ? status.voltages[phase] : 230
            return value.isFinite && (100...300).contains(value) ? value : 230
        }
        return copy
    }

    /// Reported currents and voltages that count as they are (no copy needed).
    var isPlausible: Bool {
        let ceiling = Double(limits.ceiling)
        guard status.currents.count == 3, status.voltages.count == 3 else { return false }
        for value in status.currents where !(value >= 0 && value <= ceiling) { return false }
        for value in status.voltages where !(value >= 100 && value <= 300) { return false }
        return true
    }

    /// A vehicle is plugged in.
    public var plugged: Bool { status.plugged }

    /// The minimum current on the phases it charges on now.
    public var minimum: Double { Double(limits.minimum(phases: phasesInUse)) }

    /// Grid phases the charger loads now: one when it is switched to one phase or its car charges on
    /// L1 only (detected from the measured currents), else three.
    public var phasesInUse: Int {
        if status.activePhases == 1 { return 1 }
        let c = status.currents
        return c[0] > 1 && c[1] < 0.5 && c[2] < 0.5 ? 1 : 3
    }
}

/// The cap the energy loops put on one charger, and a phase-count request.
public struct ChargerControlOutput: Sendable, Equatable {
    public var id: String
    public var cap: CurrentCap?
    public var phases: Int?
    /// The current the charger should fall back to on its own if it loses contact (pushed as its failsafe current).
    public var degraded: Int?
    /// A random start delay holds it until this time (monotonic seconds); nil: none running.
    public var delayedUntil: Seconds?
}

/// The energy loops of one site, combined: power optimizer, follow-the-sun with phase switching,
/// utility inputs [SPEC §6.1, §6.2, §7]. Pure: call `step` on every new grid sample and on a
/// timer; time is a parameter. The result caps every charger; the EMS request and the charger's
/// own limits are applied after it (`SetpointPolicy`).
public struct SiteController: Sendable {
    public var settings: SiteSettings
    public private(set) var lastSample: GridSample?
    /// What the loops act on: the last sample, or with averaging the larger of it and the average.
    private var actedSample: GridSample?
    private var averager: SampleAverager?
    /// The grid meter's voltages for kW limits (a rise at once, a fall once it lasts).
    private var voltageHold = VoltageHold()
    /// The site's limit per phase at the last step: the fuse and any kW limit at the grid meter's
    /// voltages then (nil: none).
    public private(set) var limitInForce: [Double]?
    /// The last plausible readings of the PV and battery meters (nil: none, or no such meter).
    public private(set) var lastPV: PowerSample?
    public private(set) var lastBattery: PowerSample?
    /// Where the sun modes' surplus comes from: the grid meter, or a PV meter when there is none.
    public var surplusSource = SurplusSource.grid
    /// Shares the fuse and the zones among the chargers; nil when neither limits them.
    public var load: LoadManager?

    struct ChargerState: Sendable {
        var ramp = RampLimiter()
        var gate = PauseGate()
        var sun = SunGate()
        var switcher: PhaseSwitcher
    }

    /// Per-charger state in the order of the last step's chargers (matched by id when that changes).
    private var states: [ChargerState] = []
    private var stateIDs: [String] = []

    /// Each charger's state from the last step, fresh for new ones; the usual case (the same
    /// chargers in the same order) costs no lookups.
    private mutating func alignStates(_ chargers: [ChargerControlInput]) {
        if stateIDs.count == chargers.count, zip(stateIDs, chargers).allSatisfy({ $0 == $1.id }) { return }
        var byID: [String: ChargerState] = [:]
        for (id, state) in zip(stateIDs, states) { byID[id] = state }
        states = chargers.map { byID[$0.id] ?? ChargerState(switcher: PhaseSwitcher(phases: $0.limits.phases)) }
        stateIDs = chargers.map(\.id)
    }

    /// - Parameter load: the zones (built and validated by the caller); without one, only the main fuse is shared.
    public init(settings: SiteSettings, load: LoadManager? = nil) {
        self.settings = settings
        self.load = load ?? (settings.fuse.limit == nil ? nil : LoadManager(siteFuseOnly: LoadSettings()))
        limitInForce = settings.fuse.limit
    }

    /// Accepts a meter reading; an implausible one is ignored (and the meter ages towards "lost").
    /// Returns false when the sample was rejected.
    @discardableResult
    public mutating func record(_ sample: GridSample) -> Bool {
        guard sample.isPlausible, sample.time >= (lastSample?.time ?? -.infinity) else { return false }
        lastSample = sample
        if averager == nil, settings.fuse.meterAverage > 0 { averager = SampleAverager(window: settings.fuse.meterAverage) }
        actedSample = averager?.add(sample) ?? sample
        actedSample?.voltages = voltageHold.add(sample.voltages, at: sample.time)
        return true
    }

    /// A PV meter's production (W, positive); an implausible or older reading is ignored.
    @discardableResult
    public mutating func recordPV(_ sample: PowerSample) -> Bool {
        guard Self.takes(sample, after: lastPV) else { return false }
        lastPV = sample
        return true
    }

    /// A house battery's power (W, + discharge, − charge); an implausible or older reading is ignored.
    @discardableResult
    public mutating func recordBattery(_ sample: PowerSample) -> Bool {
        guard Self.takes(sample, after: lastBattery) else { return false }
        lastBattery = sample
        return true
    }

    private static func takes(_ sample: PowerSample, after last: PowerSample?) -> Bool {
        sample.isPlausible && sample.time >= (last?.time ?? -.infinity)
    }

    /// A PV or battery reading that is not stale (the grid meter's stale time applies); nil otherwise.
    public func fresh(_ sample: PowerSample?, now: Seconds) -> PowerSample? {
        guard let sample, now - sample.time <= settings.fuse.meterStaleAfter else { return nil }
        return sample
    }

    public func meterLost(now: Seconds) -> Bool {
        guard let lastSample else { return true }
        return now - lastSample.time > settings.fuse.meterStaleAfter
    }

    /// - Parameter time: local wall-clock time for time of use, off-peak and priority hours (nil: none apply).
    public mutating func step(now: Seconds, chargers reported: [ChargerControlInput], inputs: SiteInputs, time: LocalTime? = nil) -> [ChargerControlOutput] {
        // (usually every report is plausible: then the array is shared, not copied)
        let chargers = reported.allSatisfy(\.isPlausible) ? reported : reported.map { $0.plausible }
        alignStates(chargers)
        let lost = meterLost(now: now)
        let sample = lost ? nil : actedSample
        // What the EVs draw per grid phase, after each charger's phase rotation.
        var evCurrents = [0.0, 0.0, 0.0]
        for index in chargers.indices where chargers[index].status.online {
            for (line, phase) in chargers[index].rotation.gridPhases(vehiclePhases: 3).enumerated() {
                evCurrents[phase] += max(0, chargers[index].status.currents[line])
            }
        }
        let fuse = PowerOptimizer.available(sample: sample, evCurrents: evCurrents, settings: settings, inputs: inputs, now: now)
        // (a fresh sample's voltages are held: see VoltageHold; without one the worst case holds)
        limitInForce = settings.fuse.limit(voltages: sample.map { $0.voltages ?? [] })
        // The surplus the sun-mode chargers share: what is exported plus what they draw themselves
        // (a meter that excludes the chargers sees neither them nor the others, which take theirs first),
        // or PV production less the house's base load without a grid meter; then the battery's part.
        var sunChargers = 0, sunPower = 0.0, otherPower = 0.0
        for index in chargers.indices {
            let sun = chargers[index].plugged && (chargers[index].mode == .sunOnly || chargers[index].mode == .sunHybrid) && !chargers[index].forced
            if sun { sunChargers += 1 }
            guard chargers[index].status.online else { continue }
            if sun { sunPower += chargers[index].status.totalPower } else { otherPower += chargers[index].status.totalPower }
        }
        let surplusW = SolarSurplus.watts(source: surplusSource, grid: sample, pv: fresh(lastPV, now: now), battery: fresh(lastBattery, now: now),
                                          sunChargersW: sunPower, otherChargersW: otherPower, location: settings.fuse.meterLocation,
                                          settings: settings.sun)

        // The loops that limit each charger on its own: inputs, mode and sun, phase switching.
        var caps = [CapSet](repeating: CapSet(), count: chargers.count)
        var phaseRequests = [Int?](repeating: nil, count: chargers.count)
        for (index, charger) in chargers.enumerated() {
            var state = states[index]
            defer { states[index] = state }
            let minimum = charger.minimum
            if !inputs.enabled { caps[index].add(CurrentCap(0, .enable)) }
            if !charger.enabled { caps[index].add(CurrentCap(0, .disabled)) }
            if let limit = charger.operatorLimit { caps[index].add(CurrentCap(Double(limit), .operatorLimit)) }
            if let limit = charger.planLimit { caps[index].add(CurrentCap(Double(limit), .plan)) }
            if let limit = charger.backendLimit { caps[index].add(CurrentCap(Double(limit), .backend)) }
            if inputs.loadShedding { caps[index].add(CurrentCap(settings.inputs.loadSheddingCurrent, .loadShedding)) }
            let share = surplusW.map { $0 / Double(max(1, sunChargers)) }
            let surplusAmperes = share.map { $0 / (settings.voltage * Double(charger.phasesInUse)) }
            if let sun = state.sun.cap(mode: charger.mode, forced: charger.forced, surplusAmperes: surplusAmperes,
                                       minimum: minimum, settings: settings.sun, now: now) {
                caps[index].add(CurrentCap(sun.amperes, sun.reason))
            }
            // automatic phase switching: sun modes on chargers that can switch, with a car plugged in
            // (in the other modes the phase count is the energy manager's, register 405)
            let sunMode = (charger.mode == .sunOnly || charger.mode == .sunHybrid) && !charger.forced
            if charger.limits.canSwitchPhases, sunMode {
                let output = state.switcher.step(surplusW: share, wanted: nil, plugged: charger.plugged,
                                                 reportedPhases: charger.status.activePhases, minimum: Double(charger.limits.minimum(phases: 3)),
                                                 voltage: settings.voltage, settings: settings.phaseSwitching, now: now)
                phaseRequests[index] = output.request
                if output.pause { caps[index].add(CurrentCap(0, .phaseSwitch)) }
            }
        }

        // The fuse and the zones: shared among the plugged chargers by the load manager. An empty
        // charger holds no share, so a car plugging in cannot draw on top of the others; it is
        // served at the next step.
        var degraded = [Int?](repeating: nil, count: chargers.count)
        var delays = [Seconds?](repeating: nil, count: chargers.count)
        // the most each charger may get from everything but the load manager
        let reachable = chargers.indices.map { index in min(Double(chargers[index].limits.ceiling), caps[index].reachable) }
        if var load {
            let loadInputs = chargers.enumerated().map { index, charger in
                var input = LoadChargerInput(id: charger.id, plug: charger.plug ?? index + 1, zone: charger.zone, rotation: charger.rotation,
                                 chargerPhases: charger.limits.phases, vehiclePhases: charger.phasesInUse,
                                 minimum: charger.minimum, maximum: reachable[index], priority: charger.priority,
                                 plugged: charger.plugged, online: charger.status.online, currents: charger.status.currents,
                                 sessionEnergyWh: charger.status.sessionEnergyWh, sessionSeconds: charger.status.sessionSeconds,
                                 idTag: charger.status.idTag, forced: charger.forced, failsafeTimeout: charger.failsafeTimeout,
                                 setpoint: charger.lastSetpoint.map(Double.init), ceiling: Double(charger.limits.ceiling))
                input.disconnectedLimit = charger.disconnectedLimit
                return input
            }
            let shares = load.step(now: now, time: time, chargers: loadInputs, inputs: inputs,
                                   reductionPercent: settings.inputs.reductionPercent, downgradeOffset: settings.inputs.downgradeOffset,
                                   site: fuse, gridVoltages: sample.map { $0.voltages ?? [] })
            self.load = load
            for index in chargers.indices {
                degraded[index] = shares[index].degraded
                delays[index] = shares[index].delayedUntil
                var cap = shares[index].cap
                // at its full maximum the load manager is not what limits it: an equal cap from another loop
                // (listed first) names the reason, else the charger's own limit does. The cap stays, so
                // increases keep their ramp.
                if cap.reason == .zone, cap.amperes >= reachable[index] {
                    let limits = chargers[index].limits
                    cap = CurrentCap(cap.amperes, limits.cableMaxCurrent.map { $0 < limits.maxCurrent } == true ? .cable : .chargerMax)
                }
                caps[index].add(cap)
            }
        }
        if let limit = inputs.utilityLimitW { shareUtilityLimit(limit, chargers, &caps, time: time) }

        return chargers.enumerated().map { index, charger in
            var state = states[index]
            defer { states[index] = state }
            let minimum = charger.minimum
            guard var binding = caps[index].binding else {
                state.ramp = RampLimiter()
                return ChargerControlOutput(id: charger.id, cap: nil, phases: phaseRequests[index], degraded: degraded[index], delayedUntil: delays[index])
            }
            // a car that left starts afresh; a charger that lost contact does not: when it is back,
            // increases wait their interval and a pause its resume hysteresis
            // a car that left, a deliberate stop (mode off, disabled), or the first moments after a
            // start before the grid meter's first sample: the next start is not a resume after a
            // shortage, so it waits for neither the ramp nor the resume delay
            let meterNotYetRead = binding.reason == .meterLost && (surplusSource == .pv ? lastPV == nil : lastSample == nil)
            // (a plan's pause between its slots is deliberate too)
            if [.noVehicle, .mode, .disabled].contains(binding.reason) || (binding.reason == .plan && binding.amperes == 0) || meterNotYetRead {
                state.ramp = RampLimiter()
                state.gate = PauseGate()
                return ChargerControlOutput(id: charger.id, cap: binding, phases: phaseRequests[index], degraded: degraded[index], delayedUntil: delays[index])
            }
            if binding.amperes.isNaN { binding = CurrentCap(0, binding.reason) }
            let ramped = state.ramp.apply(binding.amperes.rounded(.down), settings: settings.ramp, now: now)
            let gated = state.gate.apply(ramped, minimum: minimum, reachable: reachable[index], settings: settings.fuse, now: now)
            // Held at 0 although the loops would allow the minimum: the resume hysteresis is running.
            let reason = gated == 0 && binding.amperes >= minimum ? LimitReason.belowMinimum : binding.reason
            return ChargerControlOutput(id: charger.id, cap: CurrentCap(gated, reason), phases: phaseRequests[index], degraded: degraded[index], delayedUntil: delays[index])
        }
    }
}

/// The caps the loops put on one charger, kept as they are added: the binding one (the lowest; on
/// a tie the one added first; a NaN cap counts as 0) and the most the charger may reach.
struct CapSet: Sendable {
    private(set) var binding: CurrentCap?
    /// The lowest cap, NaN counted as 0 (infinity while there is none).
    private(set) var reachable = Double.infinity

    mutating func add(_ cap: CurrentCap) {
        let cap = cap.amperes.isNaN ? CurrentCap(0, cap.reason) : cap
        if let current = binding, cap.amperes >= current.amperes {} else { binding = cap }
        reachable = min(reachable, cap.amperes)
    }
}
