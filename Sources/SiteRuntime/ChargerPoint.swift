import FaceLayouts
import Foundation
import LinkValues
import ServiceConfiguration
import ServiceSupport
import StorageModel
import ControlCore
import EnergyControl
import Logging
import RegisterMaps
import Synchronization

/// One managed charger at run time, as energy managers see it: one master contract served through
/// one or more faces (Modbus tables, SEMP). It shows the control core's view of the charger in
/// every face's register image (rebuilt only when the view changes) and hands what a master asks
/// to the core. Across all faces there is one master: the newest writer wins. The Modbus thread,
/// the SEMP server and the control loop share it under a lock.
public final class ChargerPoint: Sendable {
    public let config: Configuration.Charger
    package let layouts: [FaceLayout]
    package let clock: MonotonicSeconds
    package let logger: Logger
    /// The event log (master changes); nil when nothing is recorded.
    package let recorder: Recorder?
    /// Raised when what the faces show changes (the MQTT publisher waits for it).
    package let changes: ChangeSignal?
    /// An energy manager is expected (not `ems: none`).
    package let emsExpected: Bool

    struct State {
        var view: ChargerView
        var images: [RegisterImage]
        var master: String?
        /// The CPO uplink's state as JSON (nil: not forwarded).
        var uplink: String?
    }

    private let state: Mutex<State>
    /// The control that takes the masters' requests (set once the control exists).
    private let control = Mutex<(control: WeakControl, index: Int)?>(nil)

    /// - Parameter layouts: the Modbus faces, in the order `face(_:)` numbers them.
    package init(config: Configuration.Charger, layouts: [FaceLayout], clock: MonotonicSeconds, logger: Logger, recorder: Recorder? = nil,
         changes: ChangeSignal? = nil, emsExpected: Bool = true) {
        self.config = config
        self.emsExpected = emsExpected
        self.recorder = recorder
        self.changes = changes
        self.layouts = layouts
        self.clock = clock
        self.logger = logger
        let view = ChargerView(request: config.failsafeCurrent, failsafeCurrent: config.failsafeCurrent, failsafeTimeout: config.failsafeTimeout,
                               chargingCurrent: config.failsafeCurrent, mode: config.mode)
        let values = FaceValues(config: config, view: view)
        state = Mutex(State(view: view, images: layouts.map { $0.image(values) }))
    }

    func attach(control site: SiteControl, index: Int) {
        control.withLock { $0 = (WeakControl(site), index) }
    }

    // MARK: - Control loop side

    /// The core's view of this charger: the registers follow it, rebuilt only when a value changed.
    /// A view older than the one shown is ignored (a step and a master's request hand theirs over in either order).
    package func show(_ view: ChargerView) {
        let changed = state.withLock { state -> Bool in
            guard view.revision > state.view.revision else { return false }
            var same = view
            same.revision = state.view.revision
            let changed = same != state.view
            state.view = view
            if changed {
                let values = FaceValues(config: config, view: view)
                state.images = layouts.map { $0.image(values) }
            }
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
        /// The reason as shown (MQTT, the status page): `local`, not `failsafe`, when running at the
        /// failsafe current is this site's normal state.
        public var reason: LimitReason { decision.reason == .failsafe && local ? .local : decision.reason }
        public let master: String?
        /// The failsafe current in force (configured, or set by the master).
        public let failsafeCurrent: Int
        /// The CPO uplink's state as JSON (connected, queued messages, the backend's cap); nil: not forwarded.
        public var uplink: String? = nil
    }

    public var snapshot: Snapshot {
        state.withLock { state in
            let view = state.view
            return Snapshot(status: view.status, decision: view.decision, request: view.request, failsafe: view.failsafe,
                            local: view.failsafe && (!emsExpected || view.failsafeEntries == 0), master: state.master,
                            failsafeCurrent: view.failsafeCurrent, uplink: state.uplink)
        }
    }

    /// The CPO uplink's state changed (MQTT `charger/<id>/uplink`).
    package func showUplink(_ json: String) {
        let changed = state.withLock { state in
            defer { state.uplink = json }
            return state.uplink != json
        }
        if changed { changes?.raise() }
    }

    /// The view shown now (the SEMP face builds its documents from it).
    package var view: ChargerView { state.withLock { $0.view } }

    // MARK: - Master side (the Modbus server's thread, the SEMP server)

    package func read(face index: Int, _ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException> {
        if let exception = layouts[index].checkRead(function, address: address, count: count) { return .failure(exception) }
        return state.withLock { state in
            state.images[index].get(function, address: address, count: count).map { .success($0) } ?? .failure(.illegalDataAddress)
        }
    }

    package func write(face index: Int, address: Int, values: [UInt16], peer: String? = nil) -> ModbusException? {
        let commands: [MasterCommand]
        switch layouts[index].decodeWrite(address: address, values: values, ceiling: config.limits.ceiling) {
        case .failure(let exception): return exception
        case .success(let decoded): commands = decoded
        }
        return request(commands, master: peer) == nil ? nil : .illegalDataValue
    }

    /// A master's request through any face: nil when taken, else why it was refused (nothing changed).
    package func request(_ commands: [MasterCommand], master peer: String? = nil) -> String? {
        guard let (link, index) = control.withLock({ $0 }), let site = link.control else { return "the control is not running" }
        let master = peer ?? state.withLock { $0.master }
        let outcome = site.masterRequest(charger: index, commands, master: master, now: clock.now)
        if let problem = outcome.problem { return problem }
        show(outcome.view)   // a read right after the write sees it
        return nil
    }

    /// `channel` names the face for the log ("Bender face", "SEMP").
    package func masterConnected(peer: String, replaced: Bool, channel: String) {
        state.withLock { $0.master = peer }
        changes?.raise()
        // a flood of writers is one line and one event per interval, with the count
        guard let held = masterLog.admit(replaced ? "replaced" : "connected") else { return }
        let more = held > 0 ? " (and \(held) more master changes in the last \(Int(Self.coalesceSeconds)) s)" : ""
        logger.notice(replaced ? "master \(peer) connected (\(channel)); the previous master's socket was closed\(more)" : "master \(peer) connected (\(channel))\(more)",
                      metadata: ["charger": "\(config.id)"])
        recorder?.event(replaced ? .masterReplaced : .masterConnected, subject: config.id, peer + more)
    }

    package func masterDisconnected(peer: String, reason: String) {
        state.withLock { if $0.master == peer { $0.master = nil } }
        changes?.raise()
        guard let held = masterLog.admit("disconnected: \(reason)") else { return }
        let more = held > 0 ? " (and \(held) more in the last \(Int(Self.coalesceSeconds)) s)" : ""
        logger.notice("master \(peer) disconnected: \(reason)\(more)", metadata: ["charger": "\(config.id)"])
        recorder?.event(.masterDisconnected, subject: config.id, "\(peer): \(reason)\(more)")
    }

    package func writeRefused(peer: String, reason: String) {
        guard let held = refusalLog.admit(reason) else { return }
        let more = held > 0 ? " (and \(held) more refused writes in the last \(Int(Self.coalesceSeconds)) s)" : ""
        logger.warning("write from \(peer) refused: \(reason)\(more)", metadata: ["charger": "\(config.id)"])
    }

    /// The counts of master changes and refused writes held back in an interval that is over:
    /// logged now, not only with the next change (which may never come). Called by the control timer.
    package func flushLogs(now: Date = Date()) {
        let seconds = Int(Self.coalesceSeconds)
        for (key, held) in masterLog.flush(now: now) {
            let kind: EventKind = key == "replaced" ? .masterReplaced : key == "connected" ? .masterConnected : .masterDisconnected
            logger.notice("master \(key): \(held) more in the last \(seconds) s", metadata: ["charger": "\(config.id)"])
            recorder?.event(kind, subject: config.id, "\(held) more in the last \(seconds) s")
        }
        for (reason, held) in refusalLog.flush(now: now) {
            logger.warning("\(held) more refused writes in the last \(seconds) s: \(reason)", metadata: ["charger": "\(config.id)"])
        }
    }

    static let coalesceSeconds = 10.0
    private let masterLog = Coalescer(interval: ChargerPoint.coalesceSeconds)
    private let refusalLog = Coalescer(interval: ChargerPoint.coalesceSeconds)

    /// How often this charger's master was dropped: failsafe entries (set by the control while it
    /// holds the core) plus take-overs through a channel other than Modbus (SEMP). The Modbus server
    /// compares it with the count when a master connected, every 50 ms per connection: atomics, so
    /// the Modbus thread never waits for a step.
    package var drops: Int { entries.load(ordering: .acquiring) + takeovers.load(ordering: .acquiring) }
    package let entries = Atomic<Int>(0)
    let takeovers = Atomic<Int>(0)
    /// Why the newest drop happened, for the Modbus server's log line.
    package var dropReason: String {
        takeovers.load(ordering: .acquiring) > 0 && lastDropWasTakeover.load(ordering: .acquiring)
            ? "replaced by a newer master on another face" : "failsafe: the master was silent longer than the failsafe timeout"
    }
    package let lastDropWasTakeover = Atomic<Bool>(false)

    /// When a master's read last counted as alive.
    package let lastReadAlive = Mutex<Seconds>(-.infinity)

    /// The control's count of failsafe entries (while it holds the core).
    package func failsafeEntries(_ count: Int) {
        if entries.exchange(count, ordering: .acquiringAndReleasing) != count { lastDropWasTakeover.store(false, ordering: .releasing) }
    }

    /// A master on a channel without connections (SEMP) took over: the Modbus master is dropped.
    package func takeOver(peer: String, channel: String) {
        let previous = state.withLock { $0.master }
        guard previous != peer else { return }
        lastDropWasTakeover.store(true, ordering: .releasing)
        takeovers.add(1, ordering: .acquiringAndReleasing)
        masterConnected(peer: peer, replaced: previous != nil, channel: channel)
    }
}

/// The control seen from a charger's face, without keeping it alive (the control holds the faces).
struct WeakControl: Sendable {
    private final class Box: Sendable {
        weak let control: SiteControl?
        init(_ control: SiteControl) { self.control = control }
    }
    private let box: Box
    package init(_ control: SiteControl) { box = Box(control) }
    package var control: SiteControl? { box.control }
}
