import EnergyControl
import Logging
import Modbus
import RegisterMaps
import Synchronization

/// One managed charger at run time: its EVC08 slave face (failsafe machine, registers), its last
/// status and its effective setpoint. The Modbus thread and the control loop share it under a lock.
public final class ChargerPoint: ModbusSlaveHandler {
    public let config: Configuration.Charger
    let layout: SlaveLayout
    let clock: MonotonicSeconds
    let logger: Logger
    /// The event log (failsafe, master changes); nil when nothing is recorded.
    let recorder: Recorder?

    struct State {
        var machine: FailsafeMachine
        var status = ChargerStatus()
        var decision = SetpointDecision(amperes: 0, reason: .failsafe)
        var image = RegisterImage()
        var failsafeEntries = 0
        var master: String?
        var requestedPhases: Int?
    }

    private let state: Mutex<State>

    init(config: Configuration.Charger, layout: SlaveLayout, clock: MonotonicSeconds, logger: Logger, recorder: Recorder? = nil) {
        self.config = config
        self.recorder = recorder
        self.layout = layout
        self.clock = clock
        self.logger = logger
        let machine = FailsafeMachine(failsafeCurrent: config.failsafeCurrent, failsafeTimeout: config.failsafeTimeout, now: clock.now)
        state = Mutex(State(machine: machine))
    }

    // MARK: - Control loop side

    /// Advances the failsafe machine, takes the charger's new status and decides its setpoint.
    /// `caps` is where the energy loops plug in (each one an upper bound with its reason).
    func step(now: Seconds, status: ChargerStatus, caps: [CurrentCap] = []) -> (decision: SetpointDecision, phases: Int?) {
        state.withLock { state in
            if state.machine.tick(now: now) {
                state.failsafeEntries += 1
                logger.warning("failsafe entered: alive not written within \(state.machine.failsafeTimeout) s; request is now the failsafe current \(state.machine.failsafeCurrent) A",
                               metadata: ["charger": "\(config.id)"])
                recorder?.event(.failsafeEntered, subject: config.id, "request \(state.machine.failsafeCurrent) A")
            }
            state.status = status
            state.decision = SetpointPolicy.decide(request: state.machine.request, failsafe: state.machine.isFailsafe,
                                                   limits: config.limits, caps: caps)
            state.image = layout.image(slaveValues(state))
            return (state.decision, state.requestedPhases)
        }
    }

    /// At shutdown: the setpoint the charger was left at (its failsafe current).
    func leftSafe(_ decision: SetpointDecision) {
        state.withLock { state in
            state.decision = decision
            state.image = layout.image(slaveValues(state))
        }
    }

    /// The charger's status after the setpoint was applied: the registers show it at once.
    func publish(_ status: ChargerStatus) {
        state.withLock { state in
            guard state.status != status else { return }
            state.status = status
            state.image = layout.image(slaveValues(state))
        }
    }

    /// What the status line and tests see.
    public struct Snapshot: Sendable {
        public let status: ChargerStatus
        public let decision: SetpointDecision
        public let request: Int
        public let failsafe: Bool
        public let master: String?
        /// The failsafe current in force (configured, or written by the master to register 2000).
        public let failsafeCurrent: Int
    }

    public var snapshot: Snapshot {
        state.withLock { Snapshot(status: $0.status, decision: $0.decision, request: $0.machine.request, failsafe: $0.machine.isFailsafe, master: $0.master,
                                    failsafeCurrent: $0.machine.failsafeCurrent) }
    }

    private func slaveValues(_ state: State) -> [String: Value] {
        let status = state.status, limits = config.limits
        var values: [String: Value] = [
            "identity.serial": .text(config.identity.serial), "identity.brand": .text(config.identity.brand),
            "identity.model": .text(config.identity.model), "identity.firmware": .text(config.identity.firmware),
            "charger.rated_power": .number(Double(config.ratedPowerW)),
            "charger.three_phase": .number(status.activePhases == 3 ? 1 : 0),
            "status.charge_point": .number(Double(status.state.rawValue)),
            "status.charging": .number(status.charging ? 1 : 0),
            "status.equipment": .number(status.online ? 1 : 2),
            "status.cable": .number(Double(status.cable.rawValue)),
            "status.fault_code": .number(Double(status.faultCode)),
            "power.total": .number(status.totalPower.rounded()),
            "energy.import": .number(status.energyWh),
            "session.max_current": .number(Double(status.sessionMaxCurrent)),
            "limits.min_current": .number(Double(limits.minCurrent)),
            "limits.max_current": .number(Double(limits.maxCurrent)),
            "limits.cable_max_current": .number(Double(limits.cableMaxCurrent ?? limits.maxCurrent)),
            "session.energy": .number(status.sessionEnergyWh.rounded()),
            "session.duration": .number(status.sessionSeconds.rounded()),
            "session.id_tag": .text(status.idTag),
            "ems.phases": .number(status.activePhases == 3 ? 1 : 0),
            "ems.failsafe_current": .number(Double(state.machine.failsafeCurrent)),
            "ems.failsafe_timeout": .number(Double(state.machine.failsafeTimeout)),
            "ems.charging_current": .number(Double(state.machine.chargingCurrent)),
            "ems.alive": .number(0),
        ]
        for phase in 0..<3 {
            values["current.l\(phase + 1)"] = .number((status.currents[phase] * 1000).rounded() / 1000)
            values["voltage.l\(phase + 1)"] = .number(status.voltages[phase].rounded())
            values["power.l\(phase + 1)"] = .number(status.powers[phase].rounded())
        }
        return values
    }

    // MARK: - Modbus slave side (server thread)

    public func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException> {
        if let exception = layout.checkRead(function, address: address, count: count) { return .failure(exception) }
        return state.withLock { state in
            state.image.get(function, address: address, count: count).map { .success($0) } ?? .failure(.illegalDataAddress)
        }
    }

    public func write(address: Int, values: [UInt16]) -> ModbusException? {
        let writes: [(name: String, value: Double)]
        switch layout.decodeWrite(address: address, values: values) {
        case .failure(let exception): return exception
        case .success(let decoded): writes = decoded
        }
        let now = clock.now
        return state.withLock { state -> ModbusException? in
            // Validate every value first: a refused write changes nothing.
            for (name, value) in writes {
                if let problem = validate(name, value, state: state) {
                    logger.notice("refused write \(name) = \(value): \(problem)", metadata: ["charger": "\(config.id)"])
                    return .illegalDataValue
                }
            }
            for (name, value) in writes { apply(name, Int(value), state: &state, now: now) }
            state.image = layout.image(slaveValues(state))   // a read right after the write sees it
            return nil
        }
    }

    private func validate(_ name: String, _ value: Double, state: State) -> String? {
        let limits = config.limits
        // a custom layout may declare a wider or fractional type: only whole values in range count
        guard value.isFinite, value == value.rounded(), abs(value) <= 65_535 else { return "must be a whole number 0…65535" }
        let amperes = Int(value)
        switch name {
        case "ems.charging_current", "ems.failsafe_current":
            return limits.acceptsRequest(amperes) ? nil : "must be 0 or \(limits.minCurrent)…\(limits.ceiling) A"
        case "ems.failsafe_timeout":
            return (1...3600).contains(amperes) ? nil : "must be 1…3600 s"
        case "ems.phases":
            guard amperes == 0 || amperes == 1 else { return "must be 0 (single-phase) or 1 (three-phase)" }
            return Self.phaseProblem(amperes == 1 ? 3 : 1, limits: limits)
        default:
            return nil   // ems.alive: any value
        }
    }

    private func apply(_ name: String, _ value: Int, state: inout State, now: Seconds) {
        switch name {
        case "ems.charging_current": state.machine.setChargingCurrent(value)
        case "ems.failsafe_current": state.machine.setFailsafeCurrent(value)
        case "ems.failsafe_timeout": state.machine.setFailsafeTimeout(value)
        case "ems.phases": state.requestedPhases = value == 1 ? 3 : 1
        case "ems.alive":
            if state.machine.alive(at: now) {
                logger.notice("failsafe left: master \(state.master ?? "?") is alive, request \(state.machine.chargingCurrent) A",
                              metadata: ["charger": "\(config.id)"])
                recorder?.event(.failsafeLeft, subject: config.id, "master \(state.master ?? "?")")
            }
        default: break
        }
    }

    /// Why `phases` cannot be selected on a charger with `limits`, or nil when it can.
    static func phaseProblem(_ phases: Int, limits: ChargerLimits) -> String? {
        guard phases == 1 || phases == 3 else { return "phases must be 1 or 3" }
        return limits.canSwitchPhases || phases == limits.phases ? nil : "this charger cannot switch phases"
    }

    /// The operator's phase selection (MQTT), as an EMS's write of register 405 would make it.
    func select(phases: Int) {
        state.withLock { $0.requestedPhases = phases }
    }

    public func masterConnected(peer: String, replaced: Bool) {
        state.withLock { $0.master = peer }
        logger.notice(replaced ? "master \(peer) connected; the previous master's socket was closed" : "master \(peer) connected",
                      metadata: ["charger": "\(config.id)"])
        recorder?.event(replaced ? .masterReplaced : .masterConnected, subject: config.id, peer)
    }

    public func masterDisconnected(peer: String, reason: String) {
        state.withLock { if $0.master == peer { $0.master = nil } }
        logger.notice("master \(peer) disconnected: \(reason)", metadata: ["charger": "\(config.id)"])
        recorder?.event(.masterDisconnected, subject: config.id, "\(peer): \(reason)")
    }

    public var failsafeEntries: Int { state.withLock { $0.failsafeEntries } }
}

/// Seconds since the service started, on a monotonic clock: the only clock the service reads.
public struct MonotonicSeconds: Sendable {
    private let origin = ContinuousClock.now
    public init() {}
    public var now: Seconds {
        let elapsed = ContinuousClock.now - origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
