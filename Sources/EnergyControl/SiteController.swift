/// What the site controller needs to know about one charger at a control step.
public struct ChargerControlInput: Sendable {
    public var id: String
    public var limits: ChargerLimits
    public var status: ChargerStatus
    public var mode: ChargeMode
    /// A one-session override to the maximum (cancelled by the caller when the session ends).
    public var forced: Bool

    public init(id: String, limits: ChargerLimits, status: ChargerStatus, mode: ChargeMode = .maxHybrid, forced: Bool = false) {
        self.id = id
        self.limits = limits
        self.status = status
        self.mode = mode
        self.forced = forced
    }

    /// A vehicle is plugged in.
    public var plugged: Bool { status.cable == .vehicleConnected || status.cable == .vehicleLocked }

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
}

/// The energy loops of one site, combined: power optimizer, follow-the-sun with phase switching,
/// utility inputs [SPEC §6.1, §6.2, §7]. Pure: call `step` on every new grid sample and on a
/// timer; time is a parameter. The result caps every charger; the EMS request and the charger's
/// own limits are applied after it (`SetpointPolicy`).
public struct SiteController: Sendable {
    public var settings: SiteSettings
    public private(set) var lastSample: GridSample?

    struct ChargerState: Sendable {
        var ramp = RampLimiter()
        var gate = PauseGate()
        var sun = SunGate()
        var switcher: PhaseSwitcher
    }

    private var states: [String: ChargerState] = [:]

    public init(settings: SiteSettings) {
        self.settings = settings
    }

    /// Accepts a meter reading; an implausible one is ignored (and the meter ages towards "lost").
    /// Returns false when the sample was rejected.
    @discardableResult
    public mutating func record(_ sample: GridSample) -> Bool {
        guard sample.isPlausible, sample.time >= (lastSample?.time ?? -.infinity) else { return false }
        lastSample = sample
        return true
    }

    public func meterLost(now: Seconds) -> Bool {
        guard let lastSample else { return true }
        return now - lastSample.time > settings.fuse.meterStaleAfter
    }

    public mutating func step(now: Seconds, chargers: [ChargerControlInput], inputs: SiteInputs) -> [ChargerControlOutput] {
        let lost = meterLost(now: now)
        let sample = lost ? nil : lastSample
        // What the EVs draw per grid phase (rotation RST; zones and rotations come with load management).
        var evCurrents = [0.0, 0.0, 0.0]
        for charger in chargers { for p in 0..<3 { evCurrents[p] += max(0, charger.status.currents[p]) } }
        let fuse = PowerOptimizer.available(sample: sample, evCurrents: evCurrents, settings: settings, inputs: inputs, now: now)
        // Equal share per phase among the chargers with a vehicle plugged in.
        var sharers = [0, 0, 0]
        for charger in chargers where charger.plugged { for p in 0..<charger.phasesInUse { sharers[p] += 1 } }
        let evPower = chargers.reduce(0) { $0 + $1.status.totalPower }
        let sunChargers = chargers.filter { $0.plugged && ($0.mode == .sunOnly || $0.mode == .sunHybrid) && !$0.forced }.count
        let surplusW = sample.map { -$0.power + evPower }

        return chargers.map { charger in
            var state = states[charger.id] ?? ChargerState(switcher: PhaseSwitcher(phases: charger.limits.phases))
            defer { states[charger.id] = state }
            let minimum = Double(charger.limits.minCurrent)
            var caps: [CurrentCap] = []
            // inputs
            if !inputs.enabled { caps.append(CurrentCap(0, .enable)) }
            if inputs.loadShedding { caps.append(CurrentCap(settings.inputs.loadSheddingCurrent, .loadShedding)) }
            // Under a fuse an empty charger holds no share: the shares above are split among the
            // plugged chargers only, so an idle charger left at a share would let a car that plugs in
            // draw on top of the others. It is served at the next step, with fresh ramp and gate.
            if fuse != nil, !charger.plugged {
                state.ramp = RampLimiter()
                state.gate = PauseGate()
                return ChargerControlOutput(id: charger.id, cap: CurrentCap(0, .noVehicle), phases: nil)
            }
            // fuse
            if let fuse {
                let phases = charger.phasesInUse
                let share = (0..<phases).map { fuse.perPhase[$0] / Double(max(1, sharers[$0])) }.min() ?? 0
                caps.append(CurrentCap(share, fuse.reason))
            }
            // sun
            let share = surplusW.map { $0 / Double(max(1, sunChargers)) }
            let surplusAmperes = share.map { $0 / (settings.voltage * Double(charger.phasesInUse)) }
            if let sun = state.sun.cap(mode: charger.mode, forced: charger.forced, surplusAmperes: surplusAmperes,
                                       minimum: minimum, settings: settings.sun, now: now) {
                caps.append(CurrentCap(sun.amperes, sun.reason))
            }
            // automatic phase switching: sun modes on chargers that can switch, with a car plugged in
            // (in the other modes the phase count is the energy manager's, register 405)
            var phases: Int?
            let sunMode = (charger.mode == .sunOnly || charger.mode == .sunHybrid) && !charger.forced
            if charger.limits.canSwitchPhases, sunMode {
                let output = state.switcher.step(surplusW: share, wanted: nil, plugged: charger.plugged,
                                                 reportedPhases: charger.status.activePhases, minimum: minimum,
                                                 voltage: settings.voltage, settings: settings.phaseSwitching, now: now)
                phases = output.request
                if output.pause { caps.append(CurrentCap(0, .phaseSwitch)) }
            }
            guard var binding = caps.min(by: { !($0.amperes >= $1.amperes) }) else {
                state.ramp = RampLimiter()
                return ChargerControlOutput(id: charger.id, cap: nil, phases: phases)
            }
            if binding.amperes.isNaN { binding = CurrentCap(0, binding.reason) }
            let ramped = state.ramp.apply(binding.amperes.rounded(.down), settings: settings.ramp, now: now)
            let gated = state.gate.apply(ramped, minimum: minimum, settings: settings.fuse, now: now)
            // Held at 0 although the loops would allow the minimum: the resume hysteresis is running.
            let reason = gated == 0 && binding.amperes >= minimum ? LimitReason.belowMinimum : binding.reason
            return ChargerControlOutput(id: charger.id, cap: CurrentCap(gated, reason), phases: phases)
        }
    }
}
