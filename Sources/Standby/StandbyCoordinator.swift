import Bridge
import ControlCore
import Foundation
import LinkValues
import Logging
import NorthboundMQTT
import OperatorStatus
import RegisterMaps
import MQTT
import ServiceConfiguration
import ServiceLifecycle
import ServiceSupport
import SiteRuntime
import StandbyLease
import Storage
import StorageModel
import Synchronization

/// Runs one instance of a standby pair: holds or watches the lease on the broker (`LeaseMachine`
/// decides), and starts the whole service — listeners, southbound, loops, MQTT face — only while
/// this instance leads. While standing by it opens no listener and talks to no charger; it keeps
/// the leader's operator settings in step (retained on the broker, saved in its own database).
public final class StandbyCoordinator: Service, Sendable {
    public let configuration: Configuration
    let settings: StandbySettings
    let topics: StandbyTopics
    /// The lease connection: its last will clears the leader topic.
    let lease: MQTTClient
    /// This instance's state topic: its last will says `offline`.
    let presence: MQTTClient
    let database: ChargeDatabase?
    let logger: Logger
    let clock = MonotonicSeconds()
    let nonce = UUID().uuidString
    let statusInterval: Double?
    let statusOutput: @Sendable (String) -> Void
    private let machine: Mutex<LeaseMachine>
    private let active = Mutex<BridgeService?>(nil)
    /// The leader's operator settings as last received (a standby), or as last shared (the leader).
    private let settingsInStep = Mutex<RuntimeSettings?>(nil)
    /// What a standby last saved of them in its database.
    private let settingsSaved = Mutex<RuntimeSettings?>(nil)
    /// The lease connection count last handled.
    private let handledConnections = Mutex(0)
    /// The state line last logged and the state last published.
    private let shown = Mutex<(line: String, published: LeadershipStatus?)>(("", nil))
    private let leaderSince = Mutex<Double>(0)
    private let systemd = SystemdNotifier()
    /// Anything on the pair's topics that is refused is logged once a minute per topic.
    private let refusals = Coalescer(interval: 60)

    /// `configuration.standby` must be set. Opens the database (if any) and checks the MQTT settings.
    public init(configuration: Configuration, logger: Logger, statusInterval: Double? = nil,
                statusOutput: @escaping @Sendable (String) -> Void = { print($0) }) throws {
        guard let standby = configuration.standby, var mqtt = configuration.mqtt else {
            throw DataFileError(file: configuration.file, line: nil, field: "standby", message: "a standby pair needs standby: and mqtt:")
        }
        settings = standby
        // each instance is its own client on the broker (two with one id would throw each other off)
        let baseID = String(mqtt.options.clientID.prefix(64 - standby.instance.count - 7))
        mqtt.options.clientID = "\(baseID)-\(standby.instance)"
        var configuration = configuration
        configuration.mqtt = mqtt
        self.configuration = configuration
        let prefix = try MQTTNorthbound.mappings(configuration, mqtt).0.prefix
        topics = StandbyTopics(prefix: prefix, instance: standby.instance)
        var options = mqtt.options
        options.clientID = "\(baseID)-\(standby.instance)-l"
        // the broker notices a silent leader after 1.5 keepalives: never before the leader's own half-lease step-down
        options.keepalive = max(5, Int(standby.leaseSeconds.rounded(.up)))
        options.reconnectMin = 0.5
        options.reconnectMax = 1
        options.will = MQTTOptions.Will(topic: topics.leader, payload: "")
        lease = try MQTTClient(options: options)
        options.clientID = "\(baseID)-\(standby.instance)-p"
        options.will = MQTTOptions.Will(topic: topics.instance, payload: "offline")
        presence = try MQTTClient(options: options)
        database = try configuration.storage.map { try ChargeDatabase(path: $0.databasePath) }
        self.logger = logger
        self.statusInterval = statusInterval
        self.statusOutput = statusOutput
        machine = Mutex(LeaseMachine(settings: .init(instance: standby.instance, role: standby.role == .main ? .main : .backup,
                                                     nonce: nonce, lease: standby.leaseSeconds)))
    }

    public var status: LeadershipStatus {
        machine.withLock { machine in
            LeadershipStatus(instance: settings.instance, role: settings.role.rawValue, state: machine.phase.rawValue,
                             leader: machine.leader?.instance, brokerConnected: lease.isConnected)
        }
    }

    public func run() async throws {
        record(.standbyStarted, "\(settings.role.rawValue) instance \(settings.instance), lease \(settings.leaseSeconds) s on \(topics.leader)")
        logger.notice("standby pair: \(settings.role.rawValue) instance \(settings.instance); the lease is \(topics.leader) on \(configuration.mqtt!.options.host):\(configuration.mqtt!.options.port)")
        statusOutput("\(settings.instance): standing by (\(settings.role.rawValue)); listeners open when it leads")
        lease.start()
        presence.start()
        let leaseEvents = Task { for await event in lease.events { handleLease(event) } }
        let presenceEvents = Task { for await event in presence.events where event == .connected { publishState(force: true) } }
        systemd.ready()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await step()
            for (topic, held) in refusals.flush(now: Date()) { logger.warning("ignored \(held) more messages on \(topic) in the last 60 s") }
            try? await Task.sleep(for: .milliseconds(100))
        }
        // a clean stop hands the chargers to the other instance at once (the will runs only on a crash)
        let held = [.claiming, .leader, .releasing].contains(machine.withLock { $0.phase })
        systemd.stopping()
        if let service = active.withLock({ running in defer { running = nil }; return running }) {
            await service.stopServing()
            record(.leaderReleased, "the service is stopping")
        }
        if held { _ = publishTombstone() }
        lease.stop()
        presence.stop(final: MQTTOptions.Will(topic: topics.instance, payload: "offline"))
        leaseEvents.cancel()
        presenceEvents.cancel()
        await leaseEvents.value
        await presenceEvents.value
        logger.info("stopped")
    }

    private func handleLease(_ event: MQTTEvent) {
        let now = clock.now
        switch event {
        case .connected:
            noteConnection(now: now)
        case .disconnected(let reason):
            logger.warning("lease connection to the broker: \(reason)")
            // read late, after the client reconnected: the new connection is (or will be) noted instead
            guard !lease.isConnected else { return }
            machine.withLock { $0.disconnected(now: now) }
        case .message(let topic, let payload, let retained):
            if topic == topics.leader {
                do {
                    let record = try LeaseRecord.parse(payload)
                    machine.withLock { $0.received(record, now: now, retained: retained) }
                } catch {
                    refuse(topic, "a malformed lease record: \(error)")
                }
            } else if topic == topics.handBack {
                do {
                    guard let record = try LeaseRecord.parse(payload) else { return refuse(topic, "an empty hand-back request") }
                    machine.withLock { $0.handBackRequested(by: record) }
                } catch {
                    refuse(topic, "a malformed hand-back request: \(error)")
                }
            } else if topic == topics.settings {
                keepInStep(payload)
            }
        }
    }

    /// A new lease connection (its `.connected` event, or a changed connection count if the event
    /// was lost in a flood): subscribe, and let the machine start over with what the broker shows.
    private func noteConnection(now: Double) {
        let count = lease.connections
        let new = handledConnections.withLock { handled in
            defer { handled = count }
            return handled != count
        }
        guard new else { return }
        machine.withLock { $0.connected(now: now) }
        for topic in [topics.leader, topics.handBack, topics.settings] { lease.subscribe(topic) }
        if active.withLock({ $0 }) != nil { settingsInStep.withLock { $0 = nil } }   // the leader shares its settings again
        logger.info("lease connection to the broker up")
    }

    /// One pass: the machine's decisions carried out, the leader's settings shared, the state shown.
    private func step() async {
        let now = clock.now
        if lease.isConnected { noteConnection(now: now) }
        let actions = machine.withLock { $0.tick(now: now) }
        for action in actions { await perform(action) }
        if let service = active.withLock({ $0 }) {
            service.leadership.withLock { $0 = status }
            shareSettings(service)
            // while leading, the watchdog is fed only if the control timer runs too
            if service.controlTimerAlive(now: service.clock.now) { systemd.watchdog(now: now) }
        } else {
            saveSettings()
            systemd.watchdog(now: now)
        }
        publishState(force: false)
    }

    private func perform(_ action: LeaseMachine.Action) async {
        let wall = Date().timeIntervalSince1970
        switch action {
        case .publishLease:
            let since = leaderSince.withLock { since in
                if machine.withLock({ $0.phase }) == .claiming { since = wall }
                return since
            }
            let record = LeaseRecord(instance: settings.instance, role: settings.role.rawValue, nonce: nonce, since: since, renewed: wall,
                                     sent: clock.now)
            // QoS 0 on the lease topic: a record that could not go out is lost, never resent late after a reconnect
            lease.publish(topics.leader, record.json, qos: 0, retain: true)
        case .clearLease:
            if !publishTombstone() { machine.withLock { $0.clearNotSent() } }
        case .requestHandBack:
            let record = LeaseRecord(instance: settings.instance, role: settings.role.rawValue, nonce: nonce, renewed: wall)
            lease.publish(topics.handBack, record.json, qos: 0, retain: false)
        case .startServing(let reason):
            takeOver(reason)
        case .stopServing(let reason):
            if let service = active.withLock({ running in defer { running = nil }; return running }) {
                await service.stopServing()
            }
            machine.withLock { $0.stopped(now: clock.now) }
            logger.notice("released the chargers: \(reason)")
            statusOutput("\(settings.instance): standing by — \(reason)")
            record(.leaderReleased, reason)
        }
    }

    /// Says on the leader topic that this instance let go: whoever claims next may start at once.
    private func publishTombstone() -> Bool {
        let record = LeaseRecord(instance: settings.instance, role: settings.role.rawValue, nonce: nonce,
                                 renewed: Date().timeIntervalSince1970, released: true)
        return lease.publish(topics.leader, record.json, qos: 0, retain: true)
    }

    private func takeOver(_ reason: String) {
        let started = clock.now
        do {
            let restored = settingsInStep.withLock { $0 }
            let service = try BridgeService(configuration: configuration, logger: logger, statusInterval: statusInterval,
                                            statusOutput: statusOutput, database: database, settings: restored, ownsProcess: false)
            service.leadership.withLock { $0 = status }
            service.startServing()
            active.withLock { $0 = service }
            let took = String(format: "%.2f", clock.now - started)
            logger.notice("took over the chargers: \(reason) (service started in \(took) s)")
            statusOutput("\(settings.instance): leading — \(reason)")
            record(.leaderTookOver, reason)
        } catch {
            logger.error("cannot take over the chargers: \(error)")
            machine.withLock { $0.startFailed(now: clock.now) }
        }
    }

    /// The leader shares its operator settings (retained) whenever they change and after a reconnect.
    private func shareSettings(_ service: BridgeService) {
        let current = service.savedSettings
        guard settingsInStep.withLock({ $0 }) != current, let text = try? SortedJSON.text(current),
              lease.publish(topics.settings, text, qos: 0, retain: true) else { return }
        settingsInStep.withLock { $0 = current }
    }

    /// A standby takes the leader's settings: kept for the take-over, and saved in its own database
    /// by the step loop (not here: the event task must not wait for the disk).
    private func keepInStep(_ payload: [UInt8]) {
        guard active.withLock({ $0 }) == nil, !payload.isEmpty else { return }   // the leader's own echo
        do {
            let received = try JSONDecoder().decode(RuntimeSettings.self, from: Data(payload))
            settingsInStep.withLock { $0 = received }
        } catch {
            refuse(topics.settings, "settings that do not decode: \(error)")
        }
    }

    /// The leader's settings as last received, saved once they changed (at most once a step).
    private func saveSettings() {
        guard let received = settingsInStep.withLock({ $0 }), settingsSaved.withLock({ $0 }) != received else { return }
        settingsSaved.withLock { $0 = received }
        if let database {
            do { try RuntimeStore(database: database).save(received) } catch { logger.error("could not save the leader's settings: \(error)") }
        }
        logger.info("operator settings in step with the leader")
    }

    private func refuse(_ topic: String, _ what: String) {
        guard let held = refusals.admit(topic) else { return }
        logger.warning("ignored \(what) on \(topic)\(held > 0 ? " (and \(held) more refused since the last report)" : "")")
    }

    /// This instance's state on its own topic (whenever it changes, and after each reconnect), and
    /// in the log when its phase or the leader changes.
    private func publishState(force: Bool) {
        let status = status
        let line = "standby state: \(status.state), leader \(status.leader ?? "none")"
        let (newLine, due) = shown.withLock { shown in
            defer { shown.line = line }
            return (shown.line != line, force || shown.published != status)
        }
        if newLine { logger.info("\(line)") }
        guard due, let text = try? SortedJSON.text(status), presence.publish(topics.instance, text, qos: 1, retain: true) else { return }
        shown.withLock { $0.published = status }
    }

    private func record(_ kind: EventKind, _ detail: String) {
        guard let database else { return }
        do {
            try database.apply([.event(EventRecord(at: Date().timeIntervalSince1970, kind: kind.rawValue, subject: settings.instance, detail: detail))])
        } catch {
            logger.warning("event not recorded: \(error)")
        }
    }

    /// What the operator's endpoint shows: the running service's site, or this instance standing by.
    public func siteStatus(events withEvents: Bool) -> SiteStatus {
        if let service = active.withLock({ $0 }) { return service.siteStatus(events: withEvents) }
        let health = HealthSummary(uptimeSeconds: Int(clock.now), chargers: configuration.chargers.count, chargersOffline: [],
                                   chargersInFailsafe: [], metersOffline: [], gridMeter: "none", storage: database == nil ? "off" : "ok",
                                   pendingWrites: 0, standby: status)
        let events = withEvents ? (try? database?.recentEvents(limit: BridgeService.statusEvents)) ?? [] : []
        return SiteStatus(site: configuration.siteName, chargers: [], meters: [], zones: [], inputs: [], events: events,
                          eventsRecorded: database != nil, health: health, storageBacklog: 0, mqttConnected: lease.isConnected)
    }
}
