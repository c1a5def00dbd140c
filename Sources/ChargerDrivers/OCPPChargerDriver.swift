import Authorization
import EnergyControl
import Foundation
import Logging
import OCPP
import OCPPServer
import ServiceConfiguration
import ServiceSupport
import Synchronization

/// An OCPP charge point (1.6J or 2.0.1) as a charger driver: its status from what it reports, the
/// setpoint as a charging-profile stack on it, through the version-neutral `ChargePointProtocol`
/// (the version is the connection's subprotocol). The connection's event loop carries its frames;
/// control only swaps values under the lock, so a slow charge point never delays a control step.
/// The newest connection for an id wins.
package final class OCPPChargerDriver: ChargerDriver, OCPPConnectionDelegate {
    struct State {
        var control: any ChargePointProtocol
        var connection: OCPPConnection?
        /// The charge point's own local list (OCPPChargerDriver+Authorization.swift).
        var listSync = LocalListSync()
        var listBooted = false
    }

    package let chargerId: String
    package let settings: OCPPChargerSettings
    /// The versions it may speak (`ocpp.version`).
    package let allowedVersions: Set<OCPPVersion>
    let controlSettings: StationSettings
    private let idPrefix: String
    let state: Mutex<State>
    /// Who may charge here, and the site's list (nil: everyone).
    let book: AuthorizationBook?
    var rules: ChargerAuthorization { book?.rules[chargerId] ?? ChargerAuthorization() }
    private let clock = MonotonicSeconds()
    let logger: Logger
    /// What a charge point sends must not flood the log: one line per kind and 10 s, with a count.
    private let lines = Coalescer(interval: 10)
    /// Keeps the way it accepted (in the database, where there is one) for the next start.
    private let remember: (@Sendable (ProfileWay) -> Void)?

    /// `rememberedWay`: the way it accepted before the last restart (the fallback ladder starts
    /// there); `remember`: called when the way it accepts changes, with `.none` when it has
    /// refused every way (for check-config to show).
    package init(charger: Configuration.Charger, ocpp: OCPPChargerSettings, server: OCPPSettings, book: AuthorizationBook? = nil, logger: Logger,
                 rememberedWay: ProfileWay? = nil, remember: (@Sendable (ProfileWay) -> Void)? = nil) {
        chargerId = charger.id
        settings = ocpp
        self.logger = logger
        self.book = book
        self.remember = remember
        allowedVersions = OCPPVersion(rawValue: ocpp.version).map { [$0] } ?? Set(OCPPVersion.allCases)
        var control = StationSettings()
        control.policy.connector = ocpp.connector
        control.policy.heartbeatInterval = server.heartbeatSeconds
        control.policy.authorizer = Self.authorizer(book: book, charger: charger.id, remoteIdTag: control.remoteIdTag)
        // transaction ids stay unique across restarts
        control.policy.firstTransactionId = Int(Date().timeIntervalSince1970) % 1_000_000_000
        control.stack.connector = ocpp.connector
        control.stack.purpose = ocpp.purpose == "charge_point_max" ? .chargePointMax : .txDefault
        control.stack.unit = ocpp.unit == "W" ? .watts : .amperes
        control.stack.validity = Double(ocpp.validitySeconds)
        control.meterInterval = ocpp.meterIntervalSeconds
        control.phaseSwitching = charger.limits.canSwitchPhases
        control.minimumCurrent = charger.limits.lowestMinimum
        control.limitKey = ocpp.limitKey
        control.rememberedWay = rememberedWay
        controlSettings = control
        idPrefix = "cb\(Int(Date().timeIntervalSince1970) % 100_000_000)"
        let first: OCPPVersion = allowedVersions.contains(.v16) ? .v16 : .v201
        state = Mutex(State(control: Self.makeControl(first, settings: control, idPrefix: idPrefix), connection: nil))
    }

    static func makeControl(_ version: OCPPVersion, settings: StationSettings, idPrefix: String) -> any ChargePointProtocol {
        switch version {
        case .v16: ChargePointControl(settings: settings, idPrefix: idPrefix)
        case .v201: Station201Control(settings: settings, idPrefix: idPrefix)
        }
    }

    // MARK: ChargerDriver

    package func poll(now _: Seconds) -> ChargerStatus {
        let now = clock.now
        var status = state.withLock { $0.control.status(now: now) }
        // sessions show the tag in the list's form, so priority entries find it
        if book != nil, !status.idTag.isEmpty { status.idTag = rules.format.presented(status.idTag) }
        return status
    }

    package func apply(setpoint: Int, phases: Int?) {
        let changed = state.withLock { state in
            let before = (state.control.setpoint, state.control.phases)
            state.control.apply(setpoint: setpoint, phases: phases)
            return before.0 != setpoint || (phases != nil && before.1 != phases)
        }
        if changed { pumpSoon() }   // a decrease goes out now, not at the next tick
    }

    package func operatorState(enabled: Bool, forced: Bool) {
        let queued = state.withLock { state in
            let before = state.control.pendingCalls
            // autostart: a plugged car is started without a tag, like a forced charge
            let autostart = rules.mode == .autostart && state.control.record.state == .preparing
            state.control.setOperator(enabled: enabled, forced: forced || autostart)
            return state.control.pendingCalls != before
        }
        if queued { pumpSoon() }
    }

    /// The charger falls back to its stack-0 profile when the dynamic one expires.
    package var failsafeTimeout: Seconds? { Double(settings.validitySeconds) }

    package func setFailsafe(current: Int, timeout _: Seconds) {
        let changed = state.withLock { state in
            defer { state.control.setFailsafe(current) }
            return state.control.failsafe != current
        }
        if changed { pumpSoon() }
    }

    /// The service stops: the dynamic profile is cleared, so the charge point is at its failsafe at once.
    package func requestStop() {
        state.withLock { $0.control.leave() }
        pumpSoon()
    }

    package func stop() {
        requestStop()
        for _ in 0..<20 where state.withLock({ $0.connection != nil && !$0.control.idle }) { Thread.sleep(forTimeInterval: 0.05) }
    }

    // MARK: OCPPConnectionDelegate (on the connection's event loop)

    package func opened(_ connection: OCPPConnection) {
        let now = clock.now
        let version = OCPPVersion(subprotocol: connection.subprotocol) ?? .v16
        let previous = state.withLock { state -> OCPPConnection? in
            defer {
                state.connection = connection
                if state.control.version != version { state.control = switched(state.control, to: version) }
                state.control.opened(now: now)
                state.listBooted = false
            }
            return state.connection
        }
        previous?.close()   // the newest connection wins (a charge point that reconnected)
        logger.notice("charge point connected from \(connection.remote) (OCPP \(version.rawValue))", metadata: ["charger": "\(chargerId)"])
        connection.every(seconds: 1) { [weak self] in self?.pump(on: connection) }
    }

    /// The same charge point now speaks another version: control's wishes carry over.
    private func switched(_ old: any ChargePointProtocol, to version: OCPPVersion) -> any ChargePointProtocol {
        var settings = controlSettings
        settings.rememberedWay = old.knownWay ?? settings.rememberedWay
        var control = Self.makeControl(version, settings: settings, idPrefix: idPrefix)
        if let setpoint = old.setpoint { control.apply(setpoint: setpoint, phases: old.phases) }
        if let failsafe = old.failsafe { control.setFailsafe(failsafe) }
        return control
    }

    package func received(_ text: String, on connection: OCPPConnection) {
        if heldForBackend(text, on: connection) { return }
        process(text, on: connection)
    }

    func process(_ text: String, on connection: OCPPConnection) {
        let now = clock.now, wall = Date()
        exchange(on: connection, now: now, wall: wall) { $0.received(text, now: now, wall: wall) }
    }

    package func closed(_ connection: OCPPConnection) {
        let current = state.withLock { state -> Bool in
            guard state.connection === connection else { return false }
            state.connection = nil
            state.control.closed()
            return true
        }
        if current { logger.warning("charge point disconnected", metadata: ["charger": "\(chargerId)"]) }
    }

    // MARK: sending

    func pumpSoon() {
        guard let connection = state.withLock({ $0.connection }) else { return }
        connection.soon { [weak self] in self?.pump(on: connection) }
    }

    private func pump(on connection: OCPPConnection) {
        let now = clock.now, wall = Date()
        exchange(on: connection, now: now, wall: wall) { $0.tick(now: now, wall: wall) }
    }

    /// One step of control on the current connection: its frames go out, its notes to the log, and
    /// a newly accepted way of limiting (or `.none`: it refused them all) to `remember`.
    private func exchange(on connection: OCPPConnection, now: Seconds, wall: Date,
                          _ step: (inout any ChargePointProtocol) -> (frames: [Frame], notes: [ControlNote])) {
        let outcome = state.withLock { state -> (frames: [Frame], notes: [ControlNote], learned: ProfileWay?)? in
            guard state.connection === connection else { return nil }
            let before = (state.control.knownWay, state.control.steerable)
            let (frames, notes) = step(&state.control)
            let after = (state.control.knownWay, state.control.steerable)
            let learned: ProfileWay? = before.1 && !after.1 ? ProfileWay.none : after.0 != before.0 ? after.0 : nil
            let driver = driverCalls(&state, now: now, wall: wall)
            return (frames + driver.frames, notes + driver.notes, learned)
        }
        guard let outcome else { return }
        outcome.frames.forEach { connection.send($0.text) }
        log(outcome.notes)
        if let learned = outcome.learned { remember?(learned) }
    }

    private func log(_ notes: [ControlNote]) {
        for (kind, held) in lines.flush(now: Date()) {
            logger.notice("\(kind): \(held) more like it in the last 10 s", metadata: ["charger": "\(chargerId)"])
        }
        for note in notes {
            let kind = String(note.text.prefix { $0 != ":" })
            guard let held = lines.admit(kind) else { continue }
            let text = held > 0 ? "\(note.text) (and \(held) more like it in the last 10 s)" : note.text
            let metadata: Logger.Metadata = ["charger": "\(chargerId)"]
            switch note.level {
            case .info: logger.info("\(text)", metadata: metadata)
            case .notice: logger.notice("\(text)", metadata: metadata)
            case .warning: logger.warning("\(text)", metadata: metadata)
            }
        }
    }
}
