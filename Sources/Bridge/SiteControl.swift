import StorageModel
import EnergyControl
import Foundation
import Logging
import RegisterMaps
import SiteConfiguration
import Storage
import Synchronization

/// The control side of the service: one lock around the site's loops, so a step triggered by a
/// new grid sample (bus thread) and one triggered by the timer (service loop) never interleave.
/// Data flows one way: statuses and samples in, setpoints out to the drivers.
final class SiteControl: Sendable {
    struct State {
        var controller: SiteController
        var inputs: [String: DebouncedInput]
        var meterLost = true
        var lastGrid: GridSample?
        /// Steps come from the timer and from bus threads; time never runs backwards for the loops.
        var lastStep: Seconds = -.infinity
        /// The degraded setpoint each charger last got as its own failsafe current (nil: none yet).
        var pushedFailsafe: [Int?]
        /// What the operator set per charger (mode, limit, enable, force).
        var runtime: [ChargerRuntime]
        /// Raw values of the inputs that arrive over MQTT, fed to their debouncers every step.
        var remoteInputs: [String: Bool] = [:]
        /// Set by `leaveSafe`: the service is stopping and the chargers stay where they were left.
        var stopped = false
        /// When each file or Modbus input was last read, and those unreadable for too long.
        var inputSeen: [String: Seconds] = [:]
        var inputsUnreadable: Set<String> = []
        var started: Seconds = 0
        /// What the database holds (restored or last saved): an unchanged setting is not written again.
        var saved = RuntimeSettings()
        /// Charging sessions as the chargers report them (written through the recorder).
        var sessions = SessionTracker()
        /// Whether each charger answered at the last step (for the event log).
        var online: [Bool?]
    }

    /// A charger's operator settings; mode, limit and enable are persisted, force lasts one session.
    struct ChargerRuntime: Equatable {
        var mode: ChargeMode
        var currentLimit: Int?
        var enabled = true
        var forced = false
        var wasPlugged = false
    }

    let configuration: Configuration
    let chargers: [ChargerPoint]
    let drivers: [any ChargerDriver]
    let logger: Logger
    /// Where operator settings are kept across restarts (nil: they are not).
    let store: RuntimeStore?
    /// The session and event log (nil: nothing is recorded).
    let recorder: Recorder?
    let state: Mutex<State>
    /// Each charger's own fallback when load management gives it no degraded setpoint: its share of
    /// the main fuse (0 below its minimum), at most its configured failsafe current.
    let staticFailsafe: [Int]
    /// Operator commands, one at a time (check, save, apply).
    let commandLock = Mutex<Void>(())

    /// Fails only on a zone tree the configuration loader would already have refused.
    init(configuration: Configuration, chargers: [ChargerPoint], drivers: [any ChargerDriver], logger: Logger, now: Seconds,
         store: RuntimeStore? = nil, restored: RuntimeSettings = RuntimeSettings(), recorder: Recorder? = nil,
         openSessions: [SessionRecord] = [], checkpointSeconds: Double = 15) throws {
        self.configuration = configuration
        self.chargers = chargers
        self.drivers = drivers
        self.logger = logger
        self.store = store
        self.recorder = recorder
        staticFailsafe = Self.staticFailsafe(configuration)
        var inputs: [String: DebouncedInput] = [:]
        for input in configuration.inputs {
            // Until read, enable counts as closed (charging allowed) and the others as inactive.
            inputs[input.id] = DebouncedInput(initial: input.role == .enable, debounce: input.debounce, now: now)
        }
        let load = try configuration.load.map { try LoadManager(settings: $0, siteFuse: configuration.site.fuse.limit != nil) }
        var initial = State(controller: SiteController(settings: configuration.site, load: load), inputs: inputs,
                            meterLost: configuration.gridMeter != nil, pushedFailsafe: Array(repeating: nil, count: chargers.count),
                            runtime: chargers.map { ChargerRuntime(mode: $0.config.mode) },
                            online: Array(repeating: nil, count: chargers.count))
        initial.started = now
        initial.sessions = SessionTracker(checkpointInterval: checkpointSeconds)
        // a session of a charger no longer configured can never end on its own: closed at its last checkpoint
        let ids = Set(chargers.map(\.config.id))
        initial.sessions.resume(openSessions.filter { ids.contains($0.charger) })
        recorder?.record(openSessions.filter { !ids.contains($0.charger) }.map { session in
            var closed = session
            closed.endedAt = session.updatedAt
            closed.endReason = "recovered"
            return .update(closed)
        })
        Self.restore(restored, into: &initial, configuration: configuration, logger: logger)
        state = Mutex(initial)
    }

    /// A new reading of the grid meter: the loops run on it at once.
    func gridPolled(_ readings: [Reading], time: Seconds) {
        step(now: time, sample: GridReading.sample(readings, time: time))
    }

    /// A new reading of a zone meter: it counts at the next step (dynamic zones get what the other loads leave).
    func zonePolled(_ zone: Int, _ readings: [Reading], time: Seconds) {
        guard let sample = GridReading.sample(readings, time: time) else { return }
        state.withLock { state in _ = state.controller.load?.record(zone: zone, sample) }
    }

    /// Load-management state of every zone, from the last step.
    var zoneReports: [ZoneReport] {
        state.withLock { $0.controller.load?.reports ?? [] }
    }

    /// A raw input value (Modbus or file); nil = unreadable (keeps the last debounced value).
    func inputRead(_ id: String, raw: Bool?, now: Seconds) {
        state.withLock { state in
            guard let raw else {
                // unreadable (a wrong path, an I/O module that does not answer): said once, shown as no value
                guard let input = configuration.inputs.first(where: { $0.id == id }), !state.inputsUnreadable.contains(id) else { return }
                let since = state.inputSeen[id] ?? state.started
                if now - since > max(1, 3 * input.period) {
                    state.inputsUnreadable.insert(id)
                    logger.warning("input \(id) (\(input.role.rawValue)) cannot be read; it keeps its last value \(state.inputs[id]?.value == true ? "active" : "inactive")")
                }
                return
            }
            state.inputSeen[id] = now
            if state.inputsUnreadable.remove(id) != nil { logger.notice("input \(id) can be read again") }
            noteInput(id, raw: raw, now: now, state: &state)
        }
    }

    private func noteInput(_ id: String, raw: Bool, now: Seconds, state: inout State) {
        guard let input = configuration.inputs.first(where: { $0.id == id }) else { return }
        if state.inputs[id]?.update(raw != input.invert, now: now) == true {
            let active = state.inputs[id]!.value
            logger.notice("input \(id) (\(input.role.rawValue)) is now \(active ? "active" : "inactive")")
            if input.role == .loadShedding {
                recorder?.event(active ? .loadSheddingOn : .loadSheddingOff, subject: id)
            } else {
                recorder?.event(.inputChanged, subject: id, "\(input.role.rawValue) \(active ? "active" : "inactive")")
            }
        }
    }

    /// A forced charge lasts one session: it ends when the vehicle leaves.
    private func endForcedSession(_ index: Int, plugged: Bool, state: inout State) {
        if state.runtime[index].forced, state.runtime[index].wasPlugged, !plugged {
            state.runtime[index].forced = false
            logger.notice("forced charge ended with the session", metadata: ["charger": "\(chargers[index].config.id)"])
        }
        state.runtime[index].wasPlugged = plugged
    }

    /// One control step: charger statuses in, loop caps, EMS request and limits → setpoints out.
    func step(now time: Seconds, sample: GridSample? = nil) {
        state.withLock { state in
            guard !state.stopped else { return }
            let now = max(time, state.lastStep)
            state.lastStep = now
            if let sample {
                if state.controller.record(sample) { state.lastGrid = sample }
            }
            let lost = configuration.gridMeter != nil && state.controller.meterLost(now: now)
            if lost != state.meterLost {
                state.meterLost = lost
                if lost { logger.warning("grid meter lost: falling back to \(configuration.site.fuse.fallbackCurrent) A for all EVs") }
                else { logger.notice("grid meter online") }
                recorder?.event(lost ? .meterLost : .meterRecovered, subject: configuration.gridMeter ?? "")
            }
            let statuses = drivers.map { $0.poll(now: now) }
            let localTime = Self.localTime()
            record(statuses, localTime: localTime, state: &state)
            for (id, raw) in state.remoteInputs { noteInput(id, raw: raw, now: now, state: &state) }
            let controls = chargers.indices.map { index in
                let charger = chargers[index], placement = charger.config.placement
                var control = ChargerControlInput(id: charger.config.id, limits: charger.config.limits, status: statuses[index],
                                                  mode: state.runtime[index].mode, forced: state.runtime[index].forced,
                                                  plug: placement.plug, zone: placement.zone, rotation: placement.rotation,
                                                  priority: placement.priority, failsafeTimeout: drivers[index].failsafeTimeout,
                                                  lastSetpoint: charger.snapshot.decision.amperes)
                control.operatorLimit = state.runtime[index].currentLimit
                control.enabled = state.runtime[index].enabled
                endForcedSession(index, plugged: control.plugged, state: &state)
                return control
            }
            let outputs = state.controller.step(now: now, chargers: controls, inputs: siteInputs(state), time: localTime)
            for index in chargers.indices {
                // the charger falls back to its degraded setpoint on its own if the bridge goes silent
                // (a charger that was lost may have restarted with its factory value: push it again)
                if !statuses[index].online { state.pushedFailsafe[index] = nil }
                let degraded = outputs[index].degraded ?? staticFailsafe[index]
                if let timeout = drivers[index].failsafeTimeout, statuses[index].online,
                   degraded != state.pushedFailsafe[index] {
                    drivers[index].setFailsafe(current: degraded, timeout: timeout)
                    state.pushedFailsafe[index] = degraded
                }
                let result = chargers[index].step(now: now, status: statuses[index], caps: outputs[index].cap.map { [$0] } ?? [])
                drivers[index].apply(setpoint: result.decision.amperes, phases: outputs[index].phases ?? result.phases)
                chargers[index].publish(drivers[index].poll(now: now))
            }
        }
    }

    static func staticFailsafe(_ configuration: Configuration) -> [Int] {
        configuration.chargers.map { charger in
            guard let fuse = configuration.site.fuse.limit else { return charger.failsafeCurrent }
            let available = zip(fuse, configuration.site.fuse.headroom).map { $0 - $1 }.min() ?? 0
            let share = Int((available / Double(configuration.chargers.count)).rounded(.down))
            return share >= charger.limits.minCurrent ? min(share, charger.failsafeCurrent) : 0
        }
    }

    /// Sessions and chargers lost or back, to the recorder.
    private func record(_ statuses: [ChargerStatus], localTime: LocalTime, state: inout State) {
        guard let recorder else { return }
        let wall = Date().timeIntervalSince1970
        let period = configuration.load?.timeOfUse?.period(at: localTime) ?? SessionExport.standardPeriod
        var changes: [StorageChange] = []
        for (index, status) in statuses.enumerated() {
            let id = chargers[index].config.id
            if state.online[index] != status.online {
                if state.online[index] != nil || !status.online {
                    changes.append(.event(EventRecord(at: wall, kind: (status.online ? EventKind.chargerOnline : .chargerOffline).rawValue, subject: id)))
                }
                state.online[index] = status.online
            }
            changes += state.sessions.observe(charger: id, status: status, now: wall, period: period)
        }
        recorder.record(changes)
    }

    /// Local wall-clock time (the machine's time zone) for time of use, off-peak and priority hours.
    static func localTime(_ date: Date = Date()) -> LocalTime {
        let parts = calendar.dateComponents([.weekday, .hour, .minute, .second], from: date)
        // Calendar weekdays count from Sunday = 1; ISO from Monday = 1
        let weekday = ((parts.weekday ?? 2) + 5) % 7 + 1
        return LocalTime(weekday: weekday, secondOfDay: Double((parts.hour ?? 0) * 3600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0)))
    }

    private static let calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = .current
        return calendar
    }()

    /// On shutdown every charger is left at its failsafe current — the one in force (the master may
    /// have written register 2000), never above the degraded setpoint load management gave it —
    /// which it would fall back to anyway. Under the lock, so no step overwrites it.
    func leaveSafe() {
        // with the command lock (taken first, as `execute` does): no command is half-way when it stops
        commandLock.withLock { _ in state.withLock { state in
            for index in chargers.indices {
                let snapshot = chargers[index].snapshot
                let request = min(snapshot.failsafeCurrent, state.pushedFailsafe[index] ?? .max)
                let safe = SetpointPolicy.decide(request: request, failsafe: true, limits: chargers[index].config.limits)
                drivers[index].apply(setpoint: safe.amperes, phases: nil)
                chargers[index].leftSafe(safe)   // the northbound views show what the charger was left at
            }
            state.stopped = true   // nothing (a late command, a timer) may step the chargers again
            recorder?.record(state.sessions.checkpointAll(now: Date().timeIntervalSince1970))
        } }
    }

    func siteInputs(_ state: State) -> SiteInputs {
        var inputs = SiteInputs()
        for input in configuration.inputs where state.inputs[input.id]?.value == true {
            switch input.role {
            case .loadShedding: inputs.loadShedding = true
            case .enable: break
            case .downgrade: inputs.downgrade = true
            case .reduction1: inputs.reductions.insert(0)
            case .reduction2: inputs.reductions.insert(1)
            case .reduction3: inputs.reductions.insert(2)
            }
        }
        for input in configuration.inputs where input.role == .enable && state.inputs[input.id]?.value == false {
            inputs.enabled = false
        }
        return inputs
    }

    /// One line about the site for the status output.
    var statusLine: String {
        let zones = zoneReports.suffix(configuration.load?.zones.count ?? 0)   // the configured zones, not the fuse above them
        let zoneText = zones.isEmpty ? "" : "  zones: " + zones.map {
            String(format: "%@ %.0f/%.0f A state %d %@", $0.id, $0.allocated.max() ?? 0, $0.available.max() ?? 0, $0.state.rawValue, $0.mode.rawValue)
        }.joined(separator: ", ")
        return siteLine + zoneText
    }

    private var siteLine: String {
        state.withLock { state in
            guard configuration.gridMeter != nil else { return "site: no grid meter configured" }
            guard let grid = state.lastGrid, !state.meterLost else { return "site: grid meter LOST" }
            let currents = grid.currents.map { String(format: "%5.1f", $0) }.joined(separator: "/")
            let active = configuration.inputs.filter { state.inputs[$0.id]?.value == ($0.role != .enable) }.map(\.id)
            return String(format: "site: grid %@ A  %6.0f W", currents, grid.power) + (active.isEmpty ? "" : "  inputs: " + active.joined(separator: ","))
        }
    }
}
