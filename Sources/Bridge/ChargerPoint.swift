import ServiceConfiguration
import StorageModel
import ControlCore
import EnergyControl
import Logging
import Modbus
import RegisterMaps
import Synchronization

/// One managed charger at run time: its EVC08 slave face. It shows the control core's view of
/// the charger as a register image (rebuilt only when the view changes) and hands what a master
/// writes to the core. The Modbus thread and the control loop share it under a lock.
public final class ChargerPoint: ModbusSlaveHandler {
    public let config: Configuration.Charger
    let layout: SlaveLayout
    let clock: MonotonicSeconds
    let logger: Logger
    /// The event log (master changes); nil when nothing is recorded.
    let recorder: Recorder?
    /// Raised when what the face shows changes (the MQTT publisher waits for it).
    let changes: ChangeSignal?
    /// An energy manager is expected (not `ems: none`).
    let emsExpected: Bool

    struct State {
        var view: ChargerView
        var image = RegisterImage()
        var master: String?
    }

    private let state: Mutex<State>
    /// The control that takes the EMS's writes (set once the control exists).
    private let control = Mutex<(control: WeakControl, index: Int)?>(nil)

    init(config: Configuration.Charger, layout: SlaveLayout, clock: MonotonicSeconds, logger: Logger, recorder: Recorder? = nil,
         changes: ChangeSignal? = nil, emsExpected: Bool = true) {
        self.config = config
        self.emsExpected = emsExpected
        self.recorder = recorder
        self.changes = changes
        self.layout = layout
        self.clock = clock
        self.logger = logger
        let view = ChargerView(request: config.failsafeCurrent, failsafeCurrent: config.failsafeCurrent, failsafeTimeout: config.failsafeTimeout,
                               chargingCurrent: config.failsafeCurrent, mode: config.mode)
        var initial = State(view: view)
        initial.image = layout.image(Self.slaveValues(config: config, view: view))
        state = Mutex(initial)
    }

    func attach(control site: SiteControl, index: Int) {
        control.withLock { $0 = (WeakControl(site), index) }
    }

    // MARK: - Control loop side

    /// The core's view of this charger: the registers follow it, rebuilt only when a value changed.
    /// A view older than the one shown is ignored (a step and an EMS write hand theirs over in either order).
    func show(_ view: ChargerView) {
        let changed = state.withLock { state -> Bool in
            guard view.revision > state.view.revision else { return false }
            var same = view
            same.revision = state.view.revision
            let changed = same != state.view
            state.view = view
            if changed { state.image = layout.image(Self.slaveValues(config: config, view: view)) }
            return changed
        }
        if changed { changes?.raise() }
    }

    /// What the status line and tests see.
    public struct Snapshot: Sendable, Equatable {
        public let status: ChargerStatus
        public let decision: SetpointDecision
        public let request: Int
        public let failsafe: Bool
        /// Failsafe because no energy manager ever steered it (none since the start, or `ems: none`):
        /// the site's normal local state, not an alarm.
        public let local: Bool
        /// Failsafe because the energy manager that steered it went silent: an alarm.
        public var alarm: Bool { failsafe && !local }
        public let master: String?
        /// The failsafe current in force (configured, or written by the master to register 2000).
        public let failsafeCurrent: Int
    }

    public var snapshot: Snapshot {
        state.withLock { state in
            let view = state.view
            return Snapshot(status: view.status, decision: view.decision, request: view.request, failsafe: view.failsafe,
                            local: view.failsafe && (!emsExpected || view.failsafeEntries == 0), master: state.master,
                            failsafeCurrent: view.failsafeCurrent)
        }
    }

    static func slaveValues(config: Configuration.Charger, view: ChargerView) -> [String: Value] {
        let status = view.status, limits = config.limits
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
            "ems.failsafe_current": .number(Double(view.failsafeCurrent)),
            "ems.failsafe_timeout": .number(Double(view.failsafeTimeout)),
            "ems.charging_current": .number(Double(view.chargingCurrent)),
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
        guard let (link, index) = control.withLock({ $0 }), let site = link.control else { return .serverDeviceFailure }
        let master = state.withLock { $0.master }
        let outcome = site.emsWrite(charger: index, writes.map { ControlCore.EMSWrite($0.name, $0.value) }, master: master, now: clock.now)
        if outcome.problem != nil { return .illegalDataValue }
        show(outcome.view)   // a read right after the write sees it
        return nil
    }

    public func masterConnected(peer: String, replaced: Bool) {
        state.withLock { $0.master = peer }
        changes?.raise()
        // a flood of writers is one line and one event per interval, with the count
        guard let held = masterLog.admit(replaced ? "replaced" : "connected") else { return }
        let more = held > 0 ? " (and \(held) more master changes in the last \(Int(Self.coalesceSeconds)) s)" : ""
        logger.notice(replaced ? "master \(peer) connected; the previous master's socket was closed\(more)" : "master \(peer) connected\(more)",
                      metadata: ["charger": "\(config.id)"])
        recorder?.event(replaced ? .masterReplaced : .masterConnected, subject: config.id, peer + more)
    }

    public func masterDisconnected(peer: String, reason: String) {
        state.withLock { if $0.master == peer { $0.master = nil } }
        changes?.raise()
        guard let held = masterLog.admit("disconnected: \(reason)") else { return }
        let more = held > 0 ? " (and \(held) more in the last \(Int(Self.coalesceSeconds)) s)" : ""
        logger.notice("master \(peer) disconnected: \(reason)\(more)", metadata: ["charger": "\(config.id)"])
        recorder?.event(.masterDisconnected, subject: config.id, "\(peer): \(reason)\(more)")
    }

    public func writeRefused(peer: String, reason: String) {
        guard let held = refusalLog.admit(reason) else { return }
        let more = held > 0 ? " (and \(held) more refused writes in the last \(Int(Self.coalesceSeconds)) s)" : ""
        logger.warning("write from \(peer) refused: \(reason)\(more)", metadata: ["charger": "\(config.id)"])
    }

    static let coalesceSeconds = 10.0
    private let masterLog = Coalescer(interval: ChargerPoint.coalesceSeconds)
    private let refusalLog = Coalescer(interval: ChargerPoint.coalesceSeconds)

    /// The server compares it with the count when a master connected, every 50 ms per connection:
    /// an atomic the control sets while it holds the core, so the Modbus thread never waits for a step.
    public var failsafeEntries: Int { entries.load(ordering: .acquiring) }
    let entries = Atomic<Int>(0)
}

/// The control seen from a charger's face, without keeping it alive (the control holds the faces).
struct WeakControl: Sendable {
    private final class Box: Sendable {
        weak let control: SiteControl?
        init(_ control: SiteControl) { self.control = control }
    }
    private let box: Box
    init(_ control: SiteControl) { box = Box(control) }
    var control: SiteControl? { box.control }
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
