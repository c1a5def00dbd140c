import ChargerDrivers
import ControlCore
import DataFiles
import EnergyControl
import FaceLayouts
import Faces
import Foundation
import LinkValues
import Logging
import MeterReaders
import Modbus
import NorthboundMQTT
import OCPP
import OCPPUplinkClient
import OperatorStatus
import RegisterMaps
import SEMPServer
import ServiceConfiguration
import ServiceLifecycle
import ServiceSupport
import SiteRuntime
import StandbyLease
import Storage
import StorageModel
import Synchronization

/// The running service: drivers → measurements → control → setpoints → chargers, and the
/// northbound Modbus slaves that show every charger as an EVC08.
public final class BridgeService: Service {
    public let configuration: Configuration
    public let chargers: [ChargerPoint]
    let drivers: [any ChargerDriver]
    let server: ModbusSlaveServer
    let control: SiteControl
    let buses: [BusPoller]
    let smartMeters: [SmartMeterReader]
    let meters: MeterBoard
    let mqtt: MQTTNorthbound?
    let centralSystem: CentralSystem?
    let sempServer: SEMPServer?
    /// The chargers forwarded to a CPO backend, one client each.
    let uplinks: [UplinkClient]
    let recorder: Recorder?
    /// Who may charge: the local list and each charger's rules (BridgeService+Authorization.swift).
    let book: AuthorizationBook
    let listFiles = Mutex<AuthorizationListFile?>(nil)
    let listVersionSeen = Mutex<Int?>(nil)
    package let clock = MonotonicSeconds()
    let logger: Logger
    let statusInterval: Seconds?
    let statusOutput: @Sendable (String) -> Void
    let systemd = SystemdNotifier()
    let ownsProcess: Bool
    /// Something shown northbound changed: the MQTT publisher publishes it at once.
    let changes: ChangeSignal
    /// This instance's part in a standby pair, for health and the status page (nil: no pair).
    public let leadership = Mutex<LeadershipStatus?>(nil)
    /// Log the counts that listeners and faces held back once their interval is over (a flood
    /// that stopped is still reported); called by the control timer.
    private let logFlushers: Mutex<[@Sendable (Date) -> Void]> = Mutex([])
    /// The status page's charts (only with `http:`).
    let historySampler: HistorySampler?
    /// What runs while serving: the control timer and the task reading MQTT events.
    private let serving = Mutex<(timer: WorkerThread, mqttEvents: Task<Void, Never>?)?>(nil)

    /// Binds every listener now, so a port that is taken fails before anything starts.
    /// - Parameters:
    ///   - database: the database to use (a standby's coordinator keeps its own open); nil opens the configured one.
    ///   - settings: the operator settings to start with (a standby's, kept in step with the leader);
    ///     nil restores those saved in the database.
    ///   - ownsProcess: false when a standby coordinator starts and stops it: then the coordinator
    ///     tells systemd that the process is ready or stopping, not the service.
    public init(configuration: Configuration, logger: Logger, statusInterval: Seconds? = nil,
                statusOutput: @escaping @Sendable (String) -> Void = { print($0) }, database: ChargeDatabase? = nil,
                settings: RuntimeSettings? = nil, ownsProcess: Bool = true) throws {
        var layouts: [String: FaceLayout] = [:]
        for (reference, map) in configuration.faceMaps { layouts[reference] = try FaceLayout(map: map) }
        self.configuration = configuration
        self.ownsProcess = ownsProcess
        self.logger = logger
        self.statusInterval = statusInterval
        self.statusOutput = statusOutput
        historySampler = configuration.http.map { HistorySampler(period: Double($0.historyPeriodSeconds), chargerIDs: configuration.chargers.map(\.id)) }
        let clock = self.clock
        let database = try database ?? configuration.storage.map { try ChargeDatabase(path: $0.databasePath) }
        let recorder = database.map { Recorder(database: $0, retentionDays: configuration.storage?.eventRetentionDays ?? 30, logger: logger) }
        self.recorder = recorder
        if let recorder { try Self.recordStart(configuration, recorder: recorder) }
        let changes = ChangeSignal()
        self.changes = changes
        chargers = configuration.chargers.map { charger in
            ChargerPoint(config: charger, layouts: configuration.faces(of: charger).compactMap { layouts[$0.face] }, clock: clock, logger: logger,
                         recorder: recorder, changes: changes, emsExpected: configuration.emsExpected)
        }
        let book = try BridgeService.makeBook(configuration, database: database, logger: logger)
        self.book = book
        let drivers = configuration.chargers.map {
            BridgeService.makeDriver($0, ocpp: configuration.ocpp, book: book, recorder: recorder, logger: logger, now: clock.now)
        }
        self.drivers = drivers
        centralSystem = configuration.ocpp.map { settings in
            CentralSystem(settings: settings, drivers: drivers.compactMap { $0 as? OCPPChargerDriver }, logger: logger)
        }
        let northbound = configuration.northbound
        var listeners: [SlaveListener] = []
        switch northbound.mode {
        case .perCharger:
            for point in chargers {
                for (index, face) in configuration.faces(of: point.config).enumerated() {
                    listeners.append(SlaveListener(host: face.host, port: face.port, anyUnit: point.face(index),
                                                   allowWrite: point.config.allowWrite ?? northbound.allowWrite, readOnly: point.config.readOnly,
                                                   maxReaders: northbound.maxReaders))
                }
            }
        case .gateway:
            // one gateway per face, each serving every charger by its unit id
            for (index, gateway) in (configuration.chargers.first.map(configuration.faces(of:)) ?? []).enumerated() {
                var units: [UInt8: any ModbusSlaveHandler] = [:]
                for point in chargers { units[UInt8(point.config.unit)] = point.face(index) }
                listeners.append(SlaveListener(host: gateway.host, port: gateway.port, units: units, allowWrite: northbound.allowWrite,
                                               maxReaders: northbound.maxReaders))
            }
        }
        let store = database.map(RuntimeStore.init(database:))
        let restored = try settings ?? BridgeService.restoredSettings(store, logger: logger)
        let openSessions = try database?.openSessions() ?? []
        let control = try SiteControl(configuration: configuration, chargers: chargers, drivers: drivers, logger: logger, now: clock.now,
                                      store: store, restored: restored, recorder: recorder, openSessions: openSessions,
                                      checkpointSeconds: configuration.storage?.checkpointSeconds ?? 5, changes: changes)
        self.control = control
        var uplinks: [UplinkClient] = []
        for (index, charger) in configuration.chargers.enumerated() {
            guard let settings = charger.uplink else { continue }
            uplinks.append(try ChargerUplink.make(index: index, settings: settings, configuration: configuration, point: self.chargers[index],
                                                  control: control, book: book, database: database, clock: clock, logger: logger))
        }
        self.uplinks = uplinks
        if let block = northbound.zoneBlock {
            let zones = configuration.load?.zones.filter { $0.setpoint != nil }.map(\.id) ?? []
            let handler = ZoneSetpointBlock(zones: zones, control: control, clock: clock, logger: logger)
            logFlushers.withLock { $0.append { handler.flushLogs(now: $0) } }
            if let port = block.port {
                listeners.append(SlaveListener(host: block.bind ?? northbound.bind, port: port, anyUnit: handler,
                                               allowWrite: northbound.allowWrite, maxReaders: northbound.maxReaders))
            } else if let unit = block.unit, !listeners.isEmpty {
                listeners[0].units[UInt8(unit)] = handler   // a unit of the (first) gateway
            }
        }
        server = try ModbusSlaveServer(listeners: listeners, frameTimeout: .milliseconds(northbound.frameTimeoutMilliseconds))
        let meters = MeterBoard(meters: configuration.meters, changes: changes)
        self.meters = meters
        buses = BridgeService.makeBuses(configuration, clock: clock, control: control, meters: meters, logger: logger)
        smartMeters = BridgeService.makeSmartMeters(configuration, clock: clock, control: control, meters: meters, logger: logger)
        let chargers = self.chargers
        mqtt = try configuration.mqtt.map { settings in
            try MQTTNorthbound(configuration: configuration, settings: settings, chargers: chargers, control: control, meters: meters,
                               clock: clock, changes: changes, book: book,
                               mqttMeters: configuration.meters.contains { $0.mqtt != nil }
                                   ? MQTTMeters(configuration, deliver: BridgeService.route(control: control, meters: meters), logger: logger) : nil,
                               logger: logger)
        }
        let sempFace = configuration.semp.map { SEMPFace(configuration: configuration, settings: $0, points: chargers, logger: logger) }
        if let sempFace { logFlushers.withLock { $0.append { sempFace.flushLogs(now: $0) } } }
        sempServer = configuration.semp.map { settings in
            SEMPServer(host: settings.bind, port: settings.port, ssdpPort: settings.ssdpPort, uuid: configuration.sempUUID,
                       friendlyName: "chargebridge \(configuration.siteName)",
                       backend: sempFace!, logger: logger,
                       multicast: settings.announce && !AddressRange.isLoopback(settings.bind))
        }
        // last: nothing after them may fail, so a failed start leaves no server behind (a standby retries)
        if let sempServer, let settings = configuration.semp {
            do {
                let ports = try sempServer.start()
                logger.notice("SEMP listening on http://\(settings.bind):\(ports.http)/semp\(ports.ssdp.map { ", SSDP on UDP \(settings.bind):\($0)" } ?? "")")
            } catch {
                throw DataFileError(file: configuration.file, line: nil, field: "semp", message: "SEMP cannot listen on \(settings.bind):\(settings.port): \(error)")
            }
        }
        if let centralSystem, let ocpp = configuration.ocpp {
            let port = try centralSystem.start()
            let clientCA = ocpp.clientCA.map { "; client certificates verified against \($0) (security profile 3)" } ?? ""
            logger.notice("OCPP central system listening on \(ocpp.certificate == nil ? "ws" : "wss")://\(ocpp.bind):\(port)/\(ocpp.path)/<charge point id>\(clientCA)")
        }
        tick()   // registers reflect the chargers before the first master connects
    }

    /// A Modbus master for a real charger (its own thread), or a simulated one.
    static func makeDriver(_ charger: Configuration.Charger, ocpp server: OCPPSettings?, book: AuthorizationBook? = nil, recorder: Recorder?,
                           logger: Logger, now: Seconds) -> any ChargerDriver {
        if let ocpp = charger.ocpp, let server {
            guard let recorder else { return OCPPChargerDriver(charger: charger, ocpp: ocpp, server: server, book: book, logger: logger) }
            let id = charger.id
            let remember: @Sendable (ProfileWay) -> Void = { way in
                let now = Date()
                guard way != .none else {
                    let since = ISO8601DateFormatter().string(from: now)
                    return recorder.record([ChargeDatabase.rememberNotSteerable(since: since, charger: id, at: now.timeIntervalSince1970)])
                }
                recorder.record([ChargeDatabase.rememberProfileWay(way.rawValue, charger: id, at: now.timeIntervalSince1970),
                                 ChargeDatabase.rememberNotSteerable(since: nil, charger: id, at: now.timeIntervalSince1970)])
            }
            return OCPPChargerDriver(charger: charger, ocpp: ocpp, server: server, book: book, logger: logger,
                                     rememberedWay: rememberedWay(of: id, in: recorder.database, logger: logger), remember: remember)
        }
        guard let southbound = charger.southbound else {
            return SimulatedChargerDriver(limits: charger.limits, evs: charger.simulatedEVs, start: now)
        }
        var settings = ModbusChargerDriver.Settings(id: charger.id, endpoint: southbound.endpoint, unit: southbound.unit,
                                                    map: southbound.map, limits: charger.limits)
        settings.period = southbound.period
        settings.timeout = Double(southbound.timeoutMilliseconds) / 1000
        settings.failsafeTimeout = southbound.failsafeTimeout
        return ModbusChargerDriver(settings: settings, logger: logger)
    }

    /// The way an OCPP charge point accepted its limit before this start (the fallback ladder starts
    /// there). Unreadable: it starts from the top, as without storage — it only costs a refusal or two.
    static func rememberedWay(of charger: String, in database: ChargeDatabase, logger: Logger) -> ProfileWay? {
        do {
            guard let text = try database.profileWay(charger: charger) else { return nil }
            guard let way = ProfileWay(rawValue: text), way != .none else {
                logger.warning("the remembered profile way \"\(text)\" is not one this version knows: trying from the top", metadata: ["charger": "\(charger)"])
                return nil
            }
            return way
        } catch {
            logger.warning("cannot read the remembered profile way (trying from the top): \(error)", metadata: ["charger": "\(charger)"])
            return nil
        }
    }

    /// The operator settings saved by the last run. Unreadable settings stop the start: they
    /// may hold a utility's load-shedding signal or a lowered zone limit, and starting without them
    /// could allocate more than the operator allowed. Fix or remove the file to start.
    static func restoredSettings(_ store: RuntimeStore?, logger: Logger) throws -> RuntimeSettings {
        guard let store else { return RuntimeSettings() }
        do {
            return try store.load()
        } catch {
            throw RuntimeStoreError("\(error) — refusing to start without the saved settings; fix or move the database away")
        }
    }

    /// One poller thread per bus (a TCP endpoint or a serial device), shared by the meters and
    /// Modbus inputs on it. The grid meter's samples trigger a control step at once.
    static func makeBuses(_ configuration: Configuration, clock: MonotonicSeconds, control: SiteControl, meters: MeterBoard, logger: Logger) -> [BusPoller] {
        var devices: [String: (Endpoint, [PolledDevice], Int)] = [:]
        for meter in configuration.meters where meter.polled {
            let key = meter.endpoint.bus
            var entry = devices[key] ?? (meter.endpoint, [], 0)
            entry.1.append(PolledDevice.of(meter, configuration))
            entry.2 = max(entry.2, meter.timeoutMilliseconds)
            devices[key] = entry
        }
        for input in configuration.inputs {
            guard case .modbus(let endpoint, let unit, let function, let address) = input.source else { continue }
            let quantity = Quantity(name: "input", address: address, function: function, type: function.isBit ? .bool : .u16)
            let map = RegisterMap(name: "input \(input.id)", quantities: [quantity])
            var entry = devices[endpoint.bus] ?? (endpoint, [], 1000)
            entry.1.append(PolledDevice(id: input.id, role: .input(id: input.id), map: map, unit: unit, period: input.period))
            devices[endpoint.bus] = entry
        }
        if let gateway = configuration.utilityGateway {
            let map = RegisterMap(name: UtilityGatewayInput.id, quantities: [gateway.limit] + (gateway.heartbeat.map { [$0] } ?? []))
            var entry = devices[gateway.endpoint.bus] ?? (gateway.endpoint, [], 0)
            entry.1.append(PolledDevice(id: UtilityGatewayInput.id, role: .utilityGateway, map: map, unit: gateway.unit, period: gateway.period))
            entry.2 = max(entry.2, gateway.timeoutMilliseconds)
            devices[gateway.endpoint.bus] = entry
        }
        let deliver = route(control: control, meters: meters)
        return devices.values.map { endpoint, list, timeout in
            BusPoller(endpoint: endpoint, devices: list, timeout: .milliseconds(timeout), clock: clock, logger: logger, deliver: deliver)
        }
    }

    /// One reader thread per smart-meter port (P1, TIC), delivering like a bus.
    static func makeSmartMeters(_ configuration: Configuration, clock: MonotonicSeconds, control: SiteControl, meters: MeterBoard,
                                logger: Logger) -> [SmartMeterReader] {
        let deliver = route(control: control, meters: meters)
        return configuration.meters.compactMap { meter in
            guard let port = meter.port, case .rtu(let path, let serial) = meter.endpoint else { return nil }
            let device = PolledDevice.of(meter, configuration, unit: 0)
            return SmartMeterReader(device: device, path: path, serial: serial, port: port, clock: clock, logger: logger, deliver: deliver)
        }
    }

    /// Where a device's readings go, by its role: the grid meter's samples step the loops at once.
    static func route(control: SiteControl, meters: MeterBoard) -> @Sendable (PolledDevice, [Reading], Seconds) -> Void {
        let tariffMeter = control.tariffMeter
        return { device, raw, time in
            let readings = device.powerInverted ? GridReading.inverted(raw) : raw
            // the utility's meter may also say which tariff counts (off-peak from the TIC or P1)
            if device.id == tariffMeter { control.tariffPolled(readings, time: time) }
            switch device.role {
            case .gridMeter:
                meters.record(device.id, readings, time: time)
                control.gridPolled(readings, time: time)
            case .zoneMeter(let zone):
                meters.record(device.id, readings, time: time)
                control.zonePolled(zone, readings, time: time)
            case .pvMeter:
                meters.record(device.id, readings, time: time)
                control.pvPolled(readings, time: time)
            case .batteryMeter:
                meters.record(device.id, readings, time: time)
                control.batteryPolled(readings, time: time)
            case .meter:
                meters.record(device.id, readings, time: time)
            case .input(let id):
                control.inputRead(id, raw: GridReading.flag(readings), now: time)
            case .utilityGateway:
                control.utilityGatewayRead(readings, now: time)
            }
        }
    }

    /// Listener addresses, one line per charger (or one for the gateway).
    public var endpoints: [String] {
        switch configuration.northbound.mode {
        case .perCharger:
            // the listeners in the order they were built: each charger's faces in turn
            var ports = server.ports.makeIterator()
            return chargers.flatMap { point in
                configuration.faces(of: point.config).map { face in
                    "\(point.config.id): Modbus TCP \(face.host):\(ports.next() ?? face.port) (unit \(point.config.unit), any unit accepted), \(configuration.faceName(face.face))"
                }
            } + zoneBlockEndpoint
        case .gateway:
            return chargers.flatMap { point in
                zip(configuration.faces(of: point.config), server.ports).map { face, port in
                    "\(point.config.id): Modbus TCP gateway \(face.host):\(port) unit \(point.config.unit), \(configuration.faceName(face.face))"
                }
            } + zoneBlockEndpoint
        }
    }

    /// The zone setpoint block's line (a listener of its own is the last one bound).
    private var zoneBlockEndpoint: [String] {
        guard let block = configuration.northbound.zoneBlock else { return [] }
        if let unit = block.unit { return ["zones: Modbus TCP gateway \(configuration.northbound.bind):\(server.ports[0]) unit \(unit), zone setpoint block"] }
        return ["zones: Modbus TCP \(block.bind ?? configuration.northbound.bind):\(server.ports.last ?? 0), zone setpoint block"]
    }

    public func run() async throws {
        startServing()
        try? await gracefulShutdown()   // returns on SIGTERM/SIGINT, or throws when cancelled
        await stopServing()
    }

    /// Starts the drivers, listeners, buses, MQTT and the control timer.
    public func startServing() {
        recorder?.start()   // writes what init recorded (the start, the configuration) first
        drivers.forEach { $0.start() }
        server.start()
        buses.forEach { $0.start() }
        smartMeters.forEach { $0.start() }
        mqtt?.start()
        uplinks.forEach { $0.start() }
        let mqttEvents = mqtt.map { mqtt in Task { await mqtt.run() } }
        if configuration.storage == nil {
            logger.notice("no storage configured: no sessions or events are recorded, and settings changed over MQTT last until the service stops")
        }
        logger.info("serving \(chargers.count) charger(s)", metadata: ["site": "\(configuration.siteName)"])
        // Printed once serving (and once the service group handles SIGTERM/SIGINT).
        endpoints.forEach { statusOutput($0) }
        // the control timer on a thread of its own: driver calls and file inputs may block
        let timer = WorkerThread(name: "control timer", period: Double(configuration.tickMilliseconds) / 1000) { [self] in
            tick()
            lastTimerRun.withLock { $0 = clock.now }
            if ownsProcess { systemd.watchdog(now: clock.now) }
            reportHealth()
            printStatus()
            sampleHistory()
        }
        if ownsProcess { systemd.ready() }   // before the timer's first WATCHDOG=1: listeners, drivers and buses run
        timer.start()
        serving.withLock { $0 = (timer, mqttEvents) }
    }

    /// Stops what `startServing` started: chargers first (left at their failsafe current; nothing
    /// steps them afterwards), then what shows them, then the buses, all asked to stop at once.
    public func stopServing() async {
        guard let (timer, mqttEvents) = serving.withLock({ running in defer { running = nil }; return running }) else { return }
        if ownsProcess { systemd.stopping() }
        timer.stop()
        control.leaveSafe()
        drivers.forEach { $0.requestStop() }   // each sends the safe setpoint, all at once
        drivers.forEach { $0.stop() }
        centralSystem?.stop()
        uplinks.forEach { $0.stop() }
        // what was queued for the database is written before it closes
        ChargerUplink.writes.sync {}
        control.saves.sync {}
        sempServer?.stop()
        mqtt?.publish(now: clock.now, full: true)   // the safe setpoints, then "offline"
        mqtt?.stop()
        buses.forEach { $0.requestStop() }
        smartMeters.forEach { $0.requestStop() }
        server.stop()
        buses.forEach { $0.stop() }
        smartMeters.forEach { $0.stop() }
        mqttEvents?.cancel()   // the network thread is gone (or gave up after 3 s): stop reading its events
        await mqttEvents?.value
        recorder?.event(.serviceStopped)
        recorder?.stop()   // the last sessions and events are on disk, the WAL folded into the database
        logger.info("stopped")
    }

    /// The start and the configuration it runs, in the event log (written by the recorder's
    /// thread once it starts); a file that changed since the last start is a reload.
    private static func recordStart(_ configuration: Configuration, recorder: Recorder) throws {
        let text = (try? String(contentsOfFile: configuration.file, encoding: .utf8)) ?? ""
        let fingerprint = ConfigurationFingerprint.of(text)
        let previous = try recorder.database.setting("configuration.fingerprint")
        recorder.event(.serviceStarted, "pid \(getpid())")
        let change = previous == nil ? "first start" : (previous == fingerprint ? "unchanged" : "changed since the last start")
        recorder.event(.configurationLoaded, subject: configuration.file, "\(change), fingerprint \(fingerprint)")
        recorder.record([.setting(key: "configuration.fingerprint", value: fingerprint, at: Date().timeIntervalSince1970)])
    }

    private let nextHealth = Mutex<Seconds>(5)   // the first once the chargers had time to answer

    /// Every `health_s` (30 s): the summary on MQTT and, when it changed, in the log.
    private func reportHealth() {
        let interval = mqtt?.healthInterval ?? 30
        let due = nextHealth.withLock { next in
            guard clock.now >= next else { return false }
            next = clock.now + interval
            return true
        }
        guard due else { return }
        let summary = health()
        let changed = lastHealth.withLock { last in
            defer { last = summary.line }
            return last != summary.line
        }
        if changed { logger.info("\(summary.line)") }
        mqtt?.publishHealth(summary.json)
    }

    private let lastHealth = Mutex<String>("")

    func health() -> HealthSummary {
        let now = clock.now
        let snapshots = chargers.map(\.snapshot)
        let backlog = recorder?.backlog
        let gridOnline = control.view().meterOnline
        return HealthSummary(uptimeSeconds: Int(now), chargers: chargers.count,
                             chargersOffline: zip(chargers, snapshots).filter { !$1.status.online }.map(\.0.config.id),
                             chargersInFailsafe: zip(chargers, snapshots).filter { $1.alarm }.map(\.0.config.id),
                             chargersLocal: zip(chargers, snapshots).filter { $1.local }.map(\.0.config.id),
                             metersOffline: configuration.meters.map(\.id).filter { meters.readings($0, now: now) == nil },
                             gridMeter: gridOnline.map { $0 ? "online" : "lost" } ?? "none",
                             storage: recorder == nil ? "off" : (backlog?.failing == true ? "failing" : "ok"),
                             pendingWrites: backlog?.pending ?? 0, standby: leadership.withLock { $0 })
    }

    private let nextStatus = Mutex<Seconds>(0)

    private func printStatus() {
        guard let statusInterval else { return }
        let due = nextStatus.withLock { next in
            guard clock.now >= next else { return false }
            next = clock.now + statusInterval
            return true
        }
        guard due else { return }
        if configuration.gridMeter != nil || configuration.load != nil { statusOutput(control.statusLine) }
        chargers.forEach { statusOutput(StatusLine.format($0)) }
    }

    /// The timer's control step (delays, failsafe timeouts, file inputs); grid samples trigger
    /// their own steps as they arrive.
    private let lastTimerRun = Mutex<Seconds>(-.infinity)

    /// Prices from a file, if the configuration names one.
    private var priceFile: PriceFile? {
        guard case .file(let path) = configuration.prices?.source else { return nil }
        return priceFiles.withLock { file in
            if file == nil { file = PriceFile(path: path, slotMinutes: configuration.prices!.slotMinutes, logger: logger) }
            return file
        }
    }
    private let priceFiles = Mutex<PriceFile?>(nil)

    /// Whether the control timer ran lately (a standby's coordinator feeds systemd's watchdog only then).
    public func controlTimerAlive(now: Seconds) -> Bool {
        now - lastTimerRun.withLock { $0 } < max(5, 10 * Double(configuration.tickMilliseconds) / 1000)
    }

    /// The operator settings as last saved (a standby keeps them in step).
    public var savedSettings: RuntimeSettings { control.core.withLock { $0.saved } }

    public func tick() {
        let now = clock.now
        for input in configuration.inputs {
            if case .file(let path) = input.source { control.inputRead(input.id, raw: FileInput.read(path), now: now) }
        }
        priceFile?.poll(now: now, into: control)
        pollAuthorization(now: now)
        control.step(now: now)
        chargers.forEach { $0.flushLogs() }   // counts held back by a flood that stopped
        let wall = Date()
        logFlushers.withLock { $0 }.forEach { $0(wall) }
    }
}

/// One human-readable line per charger for the demo and `run --status-interval`.
public enum StatusLine {
    public static func format(_ charger: ChargerPoint) -> String {
        let snapshot = charger.snapshot
        let status = snapshot.status
        let currents = status.currents.map { String(format: "%4.1f", $0) }.joined(separator: "/")
        let master = snapshot.local ? "local" : snapshot.failsafe ? "FAILSAFE" : (snapshot.master.map { "master \($0)" } ?? "master silent")
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        return pad(charger.config.id, 10) + pad(status.state.name, 15)
            + String(format: "EMS request %2d A → setpoint %2d A ", snapshot.request, snapshot.decision.amperes)
            + pad("(\(snapshot.reason.rawValue))", 11)
            + String(format: " I = %@ A %6.0f W  session %6.0f Wh  ", currents, status.totalPower, status.sessionEnergyWh) + master
    }
}
