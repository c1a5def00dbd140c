import EnergyControl
import Foundation
import Logging
import Modbus
import RegisterMaps

/// The wire side of a `ModbusChargerDriver`, confined to its thread: connection, writes in the
/// order the Vestel guide gives (failsafe timeout, failsafe current, charging current, alive),
/// status polls, backoff while the charger is away.
struct ChargerLink {
    struct Outcome {
        /// A fresh status (nil: no poll was due, or it failed).
        var status: ChargerStatus?
        /// The link is down (the charger counts as offline).
        var down: Bool
        /// When the link needs the thread again (next poll, alive, retry).
        var nextDue: Double
    }

    /// What the charger was last told on this connection (nil: not yet, so it is written).
    struct Written {
        var failsafeTimeout: Int?
        var failsafeCurrent: Int?
        var setpoint: Int?
        var phases: Int?
    }

    let settings: ModbusChargerDriver.Settings
    let logger: Logger
    private let statusMap: RegisterMap
    private let identityMap: RegisterMap
    private var client: ModbusClient?
    private var poller: DevicePoller?
    private var connected = false
    private var written = Written()
    private var lastAlive = -Double.infinity
    private var lastSetpointWrite = -Double.infinity
    private var nextPoll = -Double.infinity
    private var nextAttempt = -Double.infinity
    private var failures = 0
    /// The setpoint is written again this often even when unchanged (a charger that restarted keeps nothing).
    static let reassertInterval = 10.0

    init(settings: ModbusChargerDriver.Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        let readable = settings.map.quantities.filter { !$0.writable }
        statusMap = RegisterMap(name: settings.map.name, planner: settings.map.planner, quantities: readable.filter { !Self.isIdentity($0.name) })
        identityMap = RegisterMap(name: settings.map.name, planner: settings.map.planner, quantities: readable.filter { Self.isIdentity($0.name) })
    }

    static func isIdentity(_ name: String) -> Bool { name.hasPrefix("identity.") || name.hasPrefix("charger.rated") }

    var aliveInterval: Double { Double(settings.failsafeTimeout) / 2 }

    /// One turn of the link: (re)connect if due, write what changed or is due, poll if due.
    /// `feedAlive`: control is running (otherwise the charger's watchdog is left to expire).
    /// `final`: the service stops; only the writes happen (the safe setpoint reaches the charger).
    mutating func service(now: Double, setpoint: Int?, phases: Int?, failsafeCurrent: Int?, feedAlive: Bool, final: Bool) -> Outcome {
        if !connected, now < nextAttempt, !final { return Outcome(status: nil, down: isDown, nextDue: nextAttempt) }
        do {
            if !connected { try open() }
            try writeWanted(now: now, setpoint: setpoint, phases: phases, failsafeCurrent: failsafeCurrent, feedAlive: feedAlive)
            var status: ChargerStatus?
            if now >= nextPoll, !final {
                status = try pollStatus(phases: phases)
                nextPoll = now + settings.period
            }
            if isDown { logger.notice("charger answers again", metadata: ["charger": "\(settings.id)"]) }
            failures = 0
            return Outcome(status: status, down: false, nextDue: min(nextPoll, lastAlive + aliveInterval, lastSetpointWrite + Self.reassertInterval))
        } catch {
            failures += 1
            if failures == 1 { logger.info("request failed, retrying at once: \(error)", metadata: ["charger": "\(settings.id)"]) }
            if failures == 2 { logger.warning("charger unreachable (retrying): \(error)", metadata: ["charger": "\(settings.id)"]) }
            close()
            // then 1, 2, 4 … 10 s between attempts
            nextAttempt = failures == 1 ? now : now + min(10, pow(2, Double(min(failures, 8) - 2)))
            return Outcome(status: nil, down: isDown, nextDue: nextAttempt)
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
        lastAlive = -.infinity
        if !identityMap.quantities.isEmpty {
            let identity = DevicePoller(map: identityMap, client: client!).poll().readings
            let text = identity.compactMap { reading -> String? in
                if case .success(.text(let text)) = reading.value, !text.isEmpty { return "\(reading.name.replacingOccurrences(of: "identity.", with: "")) \(text)" }
                return nil
            }
            logger.notice("connected to \(settings.endpoint)\(text.isEmpty ? "" : ": " + text.joined(separator: ", "))", metadata: ["charger": "\(settings.id)"])
        }
    }

    private mutating func writeWanted(now: Double, setpoint: Int?, phases: Int?, failsafeCurrent: Int?, feedAlive: Bool) throws(ModbusError) {
        if written.failsafeTimeout != settings.failsafeTimeout {
            try write("ems.failsafe_timeout", settings.failsafeTimeout)
            written.failsafeTimeout = settings.failsafeTimeout
        }
        if let failsafeCurrent, written.failsafeCurrent != failsafeCurrent {
            try write("ems.failsafe_current", failsafeCurrent)
            written.failsafeCurrent = failsafeCurrent
        }
        if let phases, settings.limits.canSwitchPhases, written.phases != phases, has("ems.phases") {
            try write("ems.phases", phases == 1 ? 0 : 1)
            written.phases = phases
        }
        if let setpoint, written.setpoint != setpoint || now - lastSetpointWrite >= Self.reassertInterval {
            try write("ems.charging_current", setpoint)
            written.setpoint = setpoint
            lastSetpointWrite = now
        }
        if feedAlive, now - lastAlive >= aliveInterval {
            try write("ems.alive", 1)
            lastAlive = now
        }
    }

    private mutating func pollStatus(phases: Int?) throws(ModbusError) -> ChargerStatus {
        let readings = poller!.poll().readings
        let active = settings.limits.canSwitchPhases ? (written.phases ?? phases ?? settings.limits.phases) : settings.limits.phases
        guard let status = ChargerStatusDecoder.decode(readings, activePhases: active) else {
            let missing = readings.filter { ChargerStatusDecoder.required.contains($0.name) }.compactMap { reading -> String? in
                if case .failure(let reason) = reading.value { return "\(reading.name): \(reason)" }
                return nil
            }
            throw .badResponse("status incomplete (\(missing.joined(separator: "; ")))")
        }
        return status
    }

    private func has(_ name: String) -> Bool { settings.map.quantities.contains { $0.name == name } }

    private func write(_ name: String, _ value: Int) throws(ModbusError) {
        guard let quantity = settings.map.quantities.first(where: { $0.name == name && $0.writable }) else {
            throw .invalidRequest("the map has no writable \(name)")
        }
        let registers: [UInt16]
        do { registers = try Codec.encode(.number(Double(value)), as: quantity) } catch {
            throw .invalidRequest("\(name) = \(value): \(error)")
        }
        do {
            try client!.write(address: quantity.address, registers: registers)
        } catch .exception(let code) {
            // the charger is there but refuses the value: say which, not just "unreachable"
            throw .badResponse("the charger refused \(name) = \(value) (exception \(code)); check the configured currents against the charger's own range")
        }
    }
}
