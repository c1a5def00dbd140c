import EnergyControl

/// A charger with vehicles that plug in, draw what they are allowed on 1 or 3 phases with a
/// realistic ramp, taper near full, and leave. Pure: `advance(to:)` takes the time.
public struct SimulatedCharger: Sendable {
    public let limits: ChargerLimits
    public private(set) var status = ChargerStatus()
    /// The current the charger currently offers the vehicle (its setpoint), amperes.
    public private(set) var setpoint = 0
    private var queue: [SimulatedEV]
    private var ev: SimulatedEV?
    private var sessionStart: Seconds = 0
    private var fullSince: Seconds?
    private var time: Seconds
    /// The charger's own fallback when the bridge goes silent (the degraded setpoint the bridge pushes).
    public private(set) var failsafeCurrent: Int?
    public private(set) var failsafeTimeout: Seconds = 10
    /// While offline the bridge cannot reach the charger; after `failsafeTimeout` without contact
    /// its watchdog moves it to `failsafeCurrent`.
    public var offline = false {
        didSet { status.online = !offline }
    }
    private var lastContact: Seconds
    /// EVs raise their draw by this much per second (IEC 61851 allows them several seconds).
    static let rampUpPerSecond = 4.0
    /// Voltage of the simulated supply.
    static let voltage = 230.0

    public init(limits: ChargerLimits, evs: [SimulatedEV], start: Seconds = 0, energyWh: Double = 1_234_000) {
        self.limits = limits
        queue = evs.sorted { $0.arrival < $1.arrival }
        time = start
        lastContact = start
        status.energyWh = energyWh
        status.activePhases = limits.phases
        status.voltages = [Self.voltage, Self.voltage, Self.voltage]
    }

    public var vehicle: SimulatedEV? { ev }

    /// The charger's setpoint (0 = pause). The EV follows a decrease at once and ramps up on increases.
    public mutating func apply(setpoint amperes: Int) {
        lastContact = time
        setpoint = max(0, min(amperes, limits.ceiling))
        status.appliedSetpoint = setpoint
        let allowed = setpoint >= limits.minimum(phases: status.activePhases) ? Double(setpoint) : 0
        if status.currents.contains(where: { $0 > allowed }) {
            status.currents = status.currents.map { min($0, allowed) }
        }
    }

    /// Sets the failsafe current and timeout the charger falls back to on its own.
    public mutating func setFailsafe(current: Int, timeout: Seconds) {
        lastContact = time
        failsafeCurrent = max(0, min(current, limits.ceiling))
        failsafeTimeout = timeout
    }

    /// Phase selection (only on chargers that can switch; ignored while charging would not be safe
    /// for a real car, so the simulated one switches instantly but only when asked).
    public mutating func select(phases: Int) {
        guard limits.canSwitchPhases, phases == 1 || phases == 3 else { return }
        status.activePhases = phases
    }

    /// Plugs a vehicle in now (tests and the MQTT/CLI demo use this).
    public mutating func plug(_ vehicle: SimulatedEV) {
        queue.insert(vehicle, at: 0)
        queue[0].arrival = time
    }

    /// Advances the simulation to `now`, in steps of at most one second.
    public mutating func advance(to now: Seconds) {
        while time < now {
            let step = min(1.0, now - time)
            time += step
            integrate(step)
        }
    }

    private mutating func integrate(_ dt: Seconds) {
        if offline, let failsafe = failsafeCurrent, time - lastContact >= failsafeTimeout, setpoint != failsafe {
            setpoint = failsafe
            status.appliedSetpoint = setpoint
            let allowed = setpoint >= limits.minimum(phases: status.activePhases) ? Double(setpoint) : 0
            status.currents = status.currents.map { min($0, allowed) }
        }
        if ev == nil, let next = queue.first, next.arrival <= time {
            ev = queue.removeFirst()
            sessionStart = time
            fullSince = nil
            status.sessionEnergyWh = 0
            status.idTag = ev!.idTag
        }
        guard var vehicle = ev else {
            status.state = .available
            status.cable = .noCable
            status.currents = [0, 0, 0]
            status.sessionMaxCurrent = 0
            return
        }
        // Draw: what the charger offers, what the car can take; cut at once, raise gradually.
        let phases = min(vehicle.phases, status.activePhases)
        let target = setpoint >= limits.minimum(phases: status.activePhases) ? min(Double(setpoint), vehicle.acceptedCurrent) : 0
        let present = status.currents.max() ?? 0
        let drawn = target < present ? target : min(target, present + Self.rampUpPerSecond * dt)
        status.currents = (0..<3).map { $0 < phases ? drawn : 0 }
        let energy = drawn * Self.voltage * Double(phases) * dt / 3600
        vehicle.soc = min(1, vehicle.soc + energy / vehicle.capacityWh)
        status.energyWh += energy
        status.sessionEnergyWh += energy
        status.sessionSeconds = time - sessionStart
        status.sessionMaxCurrent = min(Int(vehicle.maxCurrent), limits.ceiling)
        status.cable = drawn > 0 ? .vehicleLocked : .vehicleConnected
        if vehicle.acceptedCurrent == 0 {
            status.state = .suspendedEV
            fullSince = fullSince ?? time
        } else if setpoint < limits.minimum(phases: status.activePhases) {
            status.state = .suspendedEVSE
        } else {
            status.state = drawn > 0 ? .charging : .preparing
        }
        ev = vehicle
        let leaves = vehicle.departure.map { time >= $0 } ?? (fullSince.map { time - $0 >= 60 } ?? false)
        if leaves {
            ev = nil
            status.state = .finishing
            status.currents = [0, 0, 0]
            status.cable = .noCable
        }
    }
}
