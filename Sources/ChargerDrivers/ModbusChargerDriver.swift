import EnergyControl
import Foundation
import LinkValues
import Logging
import Modbus
import RegisterMaps
import ServiceSupport
import Synchronization

/// Any Modbus charger (TCP or RTU), driven as a master through its charger map (a file of
/// Registers/chargers/ with a `charger:` section; Vestel EVC04/EVC08 is vestel-evc04.yaml). All I/O
/// runs on a thread of its own: the control loop only reads the last status and hands over
/// setpoints, so a charger that hangs or drops off never delays a control step or another charger.
///
/// On every (re)connection the driver makes the writes the map lists under `connect`, in order
/// (watchdog timeout, safe current, setpoint, watchdog feed, …); then it polls the status every
/// `period`, feeds the watchdog as the map says, writes a decrease at once and re-asserts the
/// setpoint every `reassert_s`.
public final class ModbusChargerDriver: ChargerDriver {
    public struct Settings: Sendable {
        public var id: String
        public var endpoint: Endpoint
        public var unit: Int
        /// A charger map: `map.charger` is set (the configuration refuses a map without one).
        public var map: RegisterMap
        public var period: Double = 1
        public var timeout: Double = 1
        /// The charger's own watchdog timeout (the map's watchdog timeout register): it falls back to
        /// its safe current after this.
        public var failsafeTimeout: Int = 20
        public var limits: ChargerLimits

        public init(id: String, endpoint: Endpoint, unit: Int, map: RegisterMap, limits: ChargerLimits) {
            self.id = id
            self.endpoint = endpoint
            self.unit = unit
            self.map = map
            self.limits = limits
            precondition(map.charger != nil, "map \(map.name) has no charger section")
        }

        var spec: ChargerSpec { map.charger! }
    }

    /// What control wants the charger to have, and what the link saw last.
    struct Shared {
        var status = ChargerStatus.offline
        var lastGood: Double?
        /// It was shown offline (the link gave up, or no status came for `staleAfter`): its next
        /// status is logged as "answers again".
        var silent = false
        var setpoint: Int?
        var phases: Int?
        var failsafeCurrent: Int?
        /// When control last handed over a setpoint: the alive register is fed only while control
        /// runs, so a stuck control loop lets the charger fall back by itself like a dead process.
        var lastApply: Double?
    }

    let settings: Settings
    private let shared = Mutex(Shared())
    private let wake = DispatchSemaphore(value: 0)
    private let clock = MonotonicSeconds()
    private let logger: Logger
    private let thread = Mutex<WorkerThread?>(nil)

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public var failsafeTimeout: Seconds? { settings.spec.watchdog.kind == .none ? nil : Double(settings.failsafeTimeout) }

    /// No answer for this long: the charger counts as offline.
    var staleAfter: Double { max(3, 3 * settings.period + 2 * settings.timeout) }

    public func poll(now _: Seconds) -> ChargerStatus {
        let now = clock.now
        let (status, newlySilent) = shared.withLock { shared in
            var status = shared.status
            var newlySilent = false
            if let last = shared.lastGood, now - last > staleAfter {
                status.online = false
                newlySilent = !shared.silent
                shared.silent = true
            }
            return (status, newlySilent)
        }
        // a slow failing poll (several requests timing out) can outlast this before the link gives up
        if newlySilent { logger.warning("no status from the charger for \(Int(staleAfter)) s: offline", metadata: ["charger": "\(settings.id)"]) }
        return status
    }

    public func apply(setpoint: Int, phases: Int?) {
        let changed = shared.withLock { shared in
            let changed = shared.setpoint != setpoint || (phases != nil && shared.phases != phases)
            shared.setpoint = setpoint
            shared.lastApply = clock.now
            if let phases { shared.phases = phases }
            return changed
        }
        if changed { wake.signal() }   // a decrease must reach the charger now, not at the next poll
    }

    public func setFailsafe(current: Int, timeout _: Seconds) {
        let changed = shared.withLock { shared in
            defer { shared.failsafeCurrent = current }
            return shared.failsafeCurrent != current
        }
        if changed { wake.signal() }
    }

    public func start() {
        let worker = WorkerThread(name: "charger \(settings.id)") { [self] stopRequested in
            var link = ChargerLink(settings: settings, logger: logger)
            while true {
                let stopping = stopRequested()
                let now = clock.now
                let (setpoint, phases, failsafe, lastApply) = shared.withLock { ($0.setpoint, $0.phases, $0.failsafeCurrent, $0.lastApply) }
                let controlRuns = lastApply.map { now - $0 < link.controlGrace } ?? false
                let result = link.service(now: now, setpoint: setpoint, phases: phases, failsafeCurrent: failsafe,
                                          feedAlive: controlRuns && !stopping, final: stopping)
                let answersAgain = shared.withLock { shared in
                    var answersAgain = false
                    if let status = result.status {
                        answersAgain = shared.silent || result.recovered
                        shared.silent = false
                        shared.status = status
                        shared.lastGood = clock.now
                    } else if result.down {
                        shared.status.online = false
                        shared.silent = true
                    }
                    // known at once, not at the next poll: a charger lost right after an increase may draw it
                    shared.status.appliedSetpoint = result.applied
                    return answersAgain
                }
                if answersAgain { logger.notice("charger answers again", metadata: ["charger": "\(settings.id)"]) }
                if stopping { break }
                _ = wake.wait(timeout: .now() + max(0.01, min(result.nextDue - clock.now, 0.5)))
            }
            link.close()
        }
        thread.withLock { $0 = worker }
        worker.start()
    }

    public func requestStop() {
        thread.withLock { $0 }?.requestStop()
        wake.signal()
    }

    public func stop() {
        requestStop()
        thread.withLock { $0 }?.stop(timeout: 3 * settings.timeout + 1)
    }
}

extension ChargerStatus {
    /// Before the first answer: nothing known, offline.
    static var offline: ChargerStatus {
        var status = ChargerStatus()
        status.online = false
        status.currents = [0, 0, 0]
        return status
    }
}
