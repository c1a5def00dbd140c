import EnergyControl
import Foundation
import Logging
import Modbus
import RegisterMaps

/// The wire side of a `ModbusChargerDriver`, confined to its thread: connection, the writes of the
/// map's `charger:` section in its order (on every connection, then when changed or due), status
/// polls, backoff while the charger is away.
struct ChargerLink {
    struct Outcome {
        /// A fresh status (nil: no poll was due, or it failed).
        var status: ChargerStatus?
        /// The link is down (the charger counts as offline).
        var down: Bool
        /// When the link needs the thread again (next poll, watchdog, retry).
        var nextDue: Double
        /// The setpoint last written successfully, amperes (nil: none yet): what the charger may
        /// still draw if contact is lost now.
        var applied: Int?
        /// The link had been down and the charger answered again.
        var recovered = false
    }

    /// What the charger was last told on this connection (nil: not yet, so it is written).
    struct Written {
        var failsafeTimeout: Int?
        var failsafeCurrent: Int?
        var setpoint: SetpointCommand?
        var phases: Int?
    }

    let settings: ModbusChargerDriver.Settings
    let logger: Logger
    private let spec: ChargerSpec
    private let decoder: ChargerStatusDecoder
    private let statusMap: RegisterMap
    private let identityMap: RegisterMap
    private var client: ModbusClient?
    private var poller: DevicePoller?
    private var connected = false
    private var written = Written()
    /// The amperes of the last setpoint written successfully (kept across reconnections: the
    /// charger has it until told otherwise).
    private var appliedAmperes: Int?
    /// When this connection opened, and whether the map's connect steps were all written on it.
    private var connectedAt = -Double.infinity
    private var connectDone = false
    private var lastFeed = -Double.infinity
    private var lastSetpointWrite = -Double.infinity
    private var nextPoll = -Double.infinity
    private var nextAttempt = -Double.infinity
    private var failures = 0
    private var lastStatus: ChargerStatus?
    /// Writes the charger refused on this connection ("name=value"): not sent again until it reconnects.
    private var refused: Set<String> = []
    /// Whether the charger is three-phase, as it said on this connection (read once, used every poll).
    private var fixedFacts: [Reading] = []
    /// What the charger reported of itself at connection ("" where its map has none).
    private var reported = (serial: "", model: "", firmware: "")
    /// Session values counted from the energy meter where the map has no session registers.
    private var derivedSession: DerivedSession
    /// Status codes the map does not list, logged once each.
    private var reportedCodes: Set<Int> = []

    init(settings: ModbusChargerDriver.Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        spec = settings.spec
        decoder = ChargerStatusDecoder(spec: settings.spec.status)
        statusMap = RegisterMap(name: settings.map.name, planner: settings.map.planner, quantities: settings.map.chargerStatusQuantities)
        let names = Set(settings.map.quantities.map(\.name))
        derivedSession = DerivedSession(energy: !names.contains("session.energy") && names.contains("energy.import"),
                                        duration: !names.contains("session.duration"))
        identityMap = RegisterMap(name: settings.map.name, planner: settings.map.planner, quantities: settings.map.chargerIdentityQuantities)
    }

    /// How often the watchdog is fed (nil: the map declares none to feed).
    var feedInterval: Double? { spec.watchdog.feedInterval(timeout: Double(settings.failsafeTimeout)) }

    /// Control counts as running while it handed over a setpoint within this time.
    var controlGrace: Double { feedInterval ?? spec.reassertSeconds }

    /// One turn of the link: (re)connect if due, write what changed or is due, poll if due.
    /// `feedAlive`: control is running (otherwise the charger's watchdog is left to expire).
    /// `final`: the service stops; only the writes happen (the safe setpoint reaches the charger).
    mutating func service(now: Double, setpoint: Int?, phases: Int?, failsafeCurrent: Int?, feedAlive: Bool, final: Bool) -> Outcome {
        if !connected, now < nextAttempt, !final { return Outcome(status: nil, down: isDown, nextDue: nextAttempt, applied: appliedAmperes) }
        do {
            if !connected {
                try open()
                connectedAt = now
            }
            try writeWanted(now: now, setpoint: setpoint, phases: phases, failsafeCurrent: failsafeCurrent, feedAlive: feedAlive)
            var status: ChargerStatus?
            if now >= nextPoll, !final {
                status = try pollStatus(now: now, phases: phases)
                nextPoll = now + settings.period
            }
            let recovered = isDown   // told by the driver, which also knows a charger that went silent without failing
            failures = 0
            return Outcome(status: status, down: false, nextDue: min(nextPoll, lastFeed + (feedInterval ?? .infinity), lastSetpointWrite + spec.reassertSeconds),
                           applied: appliedAmperes, recovered: recovered)
        } catch {
            failures += 1
            if failures == 1 { logger.info("request failed, retrying at once: \(error)", metadata: ["charger": "\(settings.id)"]) }
            if failures == 2 { logger.warning("charger unreachable (retrying): \(error)", metadata: ["charger": "\(settings.id)"]) }
            close()
            // then 1, 2, 4 … 10 s between attempts
            nextAttempt = failures == 1 ? now : now + min(10, pow(2, Double(min(failures, 8) - 2)))
            return Outcome(status: nil, down: isDown, nextDue: nextAttempt, applied: appliedAmperes)
        }
    }

    /// One failed request (a lost frame) is retried at once; two in a row mean the charger is away.
    private var isDown: Bool { failures >= 2 }

    mutating func close() {
        client?.close()
        connected = false
    }

    private mutating func open() throws(ModbusError) {
        if client == nil {
            let timeout = Duration.milliseconds(Int(settings.timeout * 1000))
            let created = try ModbusClient(endpoint: settings.endpoint, unit: settings.unit, timeout: timeout, byteTimeout: timeout)
            client = created
            poller = DevicePoller(map: statusMap, client: created)
        }
        try client!.connect()
        connected = true
        written = Written()   // a new connection may be a restarted charger: tell it everything again
        refused = []
        connectDone = false
        lastFeed = -.infinity
        if !identityMap.quantities.isEmpty {
            let outcome = DevicePoller(map: identityMap, client: client!).poll()
            // a serial port opens whether or not the charger is there: silence is a failed connection
            if let silence = outcome.silence { throw silence }
            let identity = outcome.readings
            fixedFacts = identity.filter { $0.name == "charger.three_phase" }
            func text(_ name: String) -> String {
                identity.first { $0.name == name }.flatMap { if case .success(.text(let text)) = $0.value { text } else { nil } } ?? ""
            }
            reported = (text("identity.serial"), text("identity.model"), text("identity.firmware"))
            let text = identity.compactMap { reading -> String? in
                if case .success(.text(let text)) = reading.value, !text.isEmpty { return "\(reading.name.replacingOccurrences(of: "identity.", with: "")) \(text)" }
                return nil
            }
            let from = client!.localAddress.map { " from \($0)" } ?? ""
            logger.notice("connected to \(settings.endpoint)\(from)\(text.isEmpty ? "" : ": " + text.joined(separator: ", "))", metadata: ["charger": "\(settings.id)"])
        }
    }

    /// The writes of the map's `charger:` section, in its connection order, each when changed or due.
    private mutating func writeWanted(now: Double, setpoint: Int?, phases: Int?, failsafeCurrent: Int?, feedAlive: Bool) throws(ModbusError) {
        for step in spec.writeOrder {
            // on a fresh connection the map's connect steps go in its order: one whose value control
            // has not given yet (the safe current comes once the charger answers) holds back the rest
            if !connectDone, spec.connect.contains(step), !known(step, setpoint: setpoint, failsafeCurrent: failsafeCurrent),
               now - connectedAt < Self.connectGrace {
                return
            }
            switch step {
            case .watchdogTimeout:
                if let name = spec.watchdog.timeout, written.failsafeTimeout != settings.failsafeTimeout {
                    try write(name, Double(settings.failsafeTimeout))
                    written.failsafeTimeout = settings.failsafeTimeout
                }
            case .safeCurrent:
                if case .register(let name) = spec.watchdog.safeCurrent, let failsafeCurrent, written.failsafeCurrent != failsafeCurrent {
                    try write(name, Double(min(failsafeCurrent, settings.limits.ceiling)))
                    written.failsafeCurrent = failsafeCurrent
                }
            case .phases:
                if let phases, let switching = spec.phases, settings.limits.canSwitchPhases, written.phases != phases {
                    try write(switching.quantity, phases == 1 ? switching.one : switching.three)
                    written.phases = phases
                }
            case .setpoint:
                guard let setpoint else { continue }
                let command = spec.setpoint.command(amperes: Double(setpoint), maxCurrent: Double(settings.limits.ceiling),
                                                    phases: phasesInUse(requested: phases))
                // where the setpoint write renews the charger's validity time, only running control may renew it
                let reassert = now - lastSetpointWrite >= spec.reassertSeconds && (spec.watchdog.kind != .setpoint || feedAlive)
                if written.setpoint != command || reassert {
                    if try writeSetpoint(command) { appliedAmperes = command.paused ? 0 : setpoint }
                    written.setpoint = command
                    lastSetpointWrite = now
                }
            case .feed:
                guard feedAlive, let feedInterval, now - lastFeed >= feedInterval else { continue }
                switch spec.watchdog.kind {
                case .alive: if let alive = spec.watchdog.alive { try write(alive, spec.watchdog.aliveValue) }
                case .validity: if let timeout = spec.watchdog.timeout { try write(timeout, Double(settings.failsafeTimeout)) }
                case .setpoint: if let command = written.setpoint { _ = try writeSetpoint(command); lastSetpointWrite = now }
                case .none: break
                }
                lastFeed = now
            }
        }
        connectDone = true
    }

    /// How long the connect steps wait for a value control has not given yet.
    static let connectGrace = 5.0

    private func known(_ step: ChargerSpec.Step, setpoint: Int?, failsafeCurrent: Int?) -> Bool {
        switch step {
        case .safeCurrent: if case .register = spec.watchdog.safeCurrent { failsafeCurrent != nil } else { true }
        case .setpoint: setpoint != nil
        case .watchdogTimeout, .phases, .feed: true
        }
    }

    /// A pause stops first and then parks the setpoint; a resume sets the current first, then
    /// enables. Returns false when the charger refused a part of it.
    private mutating func writeSetpoint(_ command: SetpointCommand) throws(ModbusError) -> Bool {
        let flag = spec.setpoint.flagQuantity.flatMap { name in command.flag.map { (name, $0) } }
        var accepted = true
        if command.paused, let flag { accepted = try write(flag.0, flag.1) && accepted }
        if let value = command.value { accepted = try write(spec.setpoint.quantity, value) && accepted }
        if !command.paused, let flag { accepted = try write(flag.0, flag.1) && accepted }
        return accepted
    }

    /// The phases the car really uses, for a setpoint in W: counted from the last measured currents
    /// while it charges; one phase before anything was measured (the charger then allows at most the
    /// wanted current on each phase, never more).
    private func phasesInUse(requested: Int?) -> Int {
        let selected = settings.limits.canSwitchPhases ? (written.phases ?? requested ?? settings.limits.phases) : settings.limits.phases
        guard let status = lastStatus, status.charging else { return 1 }
        let measured = status.currents.filter { $0 >= 1 }.count
        return max(1, min(measured, selected))
    }

    private mutating func pollStatus(now: Double, phases: Int?) throws(ModbusError) -> ChargerStatus {
        let readings = poller!.poll().readings
        let active = settings.limits.canSwitchPhases ? (written.phases ?? phases ?? settings.limits.phases) : settings.limits.phases
        guard let decoded = decoder.decode(readings + fixedFacts, activePhases: active) else {
            let missing = readings.filter { decoder.required.contains($0.name) }.compactMap { reading -> String? in
                if case .failure(let reason) = reading.value { return "\(reading.name): \(reason)" }
                return nil
            }
            throw .badResponse("status incomplete (\(missing.joined(separator: "; ")))")
        }
        if let code = decoded.unknownCode, reportedCodes.insert(code).inserted {
            logger.warning("unknown status code \(code) in \(spec.status.quantity): read as unknown (not charging, no current offered); the map \(settings.map.name) does not list it",
                           metadata: ["charger": "\(settings.id)"])
        }
        var status = decoded.status
        (status.serial, status.model, status.firmware) = reported
        derivedSession.apply(to: &status, now: now)
        lastStatus = status
        return status
    }

    /// Writes one register. A value the charger refuses (a Modbus exception: it is there but will
    /// not take it) is logged once by name and not sent again on this connection: the link stays
    /// up and the other writes go on. Returns false for a refused (or earlier refused) value.
    @discardableResult
    private mutating func write(_ name: String, _ value: Double) throws(ModbusError) -> Bool {
        guard let quantity = settings.map.quantities.first(where: { $0.name == name && $0.writable }) else {
            throw .invalidRequest("the map has no writable \(name)")
        }
        let shown = value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        let key = "\(name)=\(shown)"
        if refused.contains(key) { return false }
        let registers: [UInt16]
        do { registers = try Codec.encode(.number(value), as: quantity) } catch {
            throw .invalidRequest("\(name) = \(shown): \(error)")
        }
        do {
            let unit = quantity.unitID ?? settings.unit
            if client!.unit != unit { client!.unit = unit }
            try client!.write(address: quantity.address, registers: registers)
            return true
        } catch .exception(let code) {
            refused.insert(key)
            logger.warning("the charger refused \(name) = \(shown) (Modbus exception \(String(format: "%02d", code)): \(ModbusError.exceptionName(code))); not sent again on this connection; check the configured currents against the charger's own range",
                           metadata: ["charger": "\(settings.id)"])
            return false
        }
    }
}
