import Authorization
import LinkValues
import ServiceConfiguration
import DataFiles
import ControlCore
import EnergyControl
import Foundation
import CoreMetrics
import Logging
import MQTT
import RegisterMaps
import ServiceSupport
import SiteRuntime
import Synchronization

/// The MQTT face of the service: retained state of every site, charger, meter, zone and input
/// (on change, at most every `min_interval` per value, and all of it every `republish_s` and after
/// each reconnect), commands on `<state topic>/set`, the availability topic and Home Assistant
/// discovery. Control never waits for the broker: while it is away nothing is queued and the
/// whole state is republished when it is back.
public final class MQTTNorthbound: Sendable {
    /// One published entity: where its values go and which of them it has.
    struct Entity: Sendable {
        var kind: EntityKind
        var id: String
        var base: String
        var values: [TopicContract.Value]
        /// The full topic of each value (built once, not on every pass).
        var topics: [String]
        /// Where its values come from: the charger's, zone's or input's index in the configuration.
        var index: Int
        var discovery: DiscoveryBuilder.Subject
    }

    struct Route: Sendable {
        var kind: EntityKind
        var id: String
        var command: CommandKind
        var value: TopicContract.Value
    }

    /// What was last published per topic, and when.
    struct Published {
        var payload: String
        var time: Seconds
    }

    /// What an entity's values were built from at the last pass: equal again, nothing to build.
    enum Source: Equatable {
        case charger(ChargerPoint.Snapshot, ChargerView)
        case meter([String: Double]?)
    }

    struct State {
        var published: [String: Published] = [:]
        /// By entity index; entities of other kinds are cheap and built on every pass.
        var sources: [Int: Source] = [:]
        /// Entities with a value held back by its minimum interval: built again until it is out.
        var unsettled: Set<Int> = []
        /// The identity each charger reported, as its discovery was last published.
        var identities: [String: ChargerIdentity] = [:]
        /// The quantities each meter has delivered so far: Home Assistant gets entities for these only.
        var meterQuantities: [String: Set<String>] = [:]
        var lastFull: Seconds = -.infinity
        var discoveryDue = false
        /// The client's connection count last handled (subscribed, "online", everything republished).
        var handledConnections = 0
    }

    let client: MQTTClient
    let contract: TopicContract
    let discovery: DiscoveryBuilder?
    let entities: [Entity]
    let routes: [String: Route]
    /// Every state topic the bridge publishes (a `/set` on one without a command is read-only);
    /// built once: a stranger's flood of unknown `/set` topics must not rebuild it per message.
    let valueTopics: Set<String>
    let qos: Int32
    let configuration: Configuration
    let chargers: [ChargerPoint]
    let control: SiteControl
    let meters: MeterBoard
    let clock: MonotonicSeconds
    let logger: Logger
    private let state = Mutex(State())
    /// Raised on every change shown here; the publisher thread publishes at once.
    let changes: ChangeSignal
    /// Meters whose values arrive on this broker (their topics are subscribed too).
    let mqttMeters: MQTTMeters?
    /// The local list (`authorization/list`), and the chargers' command topics (reset, stop).
    let book: AuthorizationBook?
    let commandTopics: [String: (index: Int, word: String)]
    private let publisher = Mutex<WorkerThread?>(nil)

    package init(configuration: Configuration, settings: MQTTSettings, chargers: [ChargerPoint], control: SiteControl, meters: MeterBoard,
         clock: MonotonicSeconds, changes: ChangeSignal, book: AuthorizationBook? = nil, mqttMeters: MQTTMeters? = nil, logger: Logger) throws {
        (contract, discovery) = try Self.mappings(configuration, settings)
        self.changes = changes
        self.mqttMeters = mqttMeters
        var options = settings.options
        options.will = MQTTOptions.Will(topic: contract.availabilityTopic, payload: "offline")
        client = try MQTTClient(options: options)
        qos = settings.qos
        self.configuration = configuration
        self.chargers = chargers
        self.control = control
        self.meters = meters
        self.clock = clock
        self.logger = logger
        entities = Self.entities(configuration, contract: contract)
        self.book = book
        commandTopics = Self.commandTopics(entities)
        var routes: [String: Route] = [:]
        for entity in entities {
            for (value, topic) in zip(entity.values, entity.topics) where entity.discovery.commands.contains(value.topic) || entity.kind == .charger {
                if let command = value.command { routes[topic + "/set"] = Route(kind: entity.kind, id: entity.id, command: command, value: value) }
            }
        }
        self.routes = routes
        valueTopics = Set(entities.flatMap(\.topics))
    }

    /// The topic contract and the discovery templates the settings name, loaded and checked.
    package static func mappings(_ configuration: Configuration, _ settings: MQTTSettings) throws -> (TopicContract, DiscoveryBuilder?) {
        guard let topicsFile = DataLocator.locate(settings.topics) else {
            throw DataFileError(file: configuration.file, line: nil, field: "mqtt.topics", message: "topic contract \(settings.topics) not found")
        }
        var contract = try TopicContract.load(file: topicsFile)
        if let prefix = settings.prefix { contract.prefix = prefix }
        if let interval = settings.republishInterval { contract.republishInterval = interval }
        guard settings.discovery else { return (contract, nil) }
        guard let file = DataLocator.locate(settings.discoveryTemplates) else {
            throw DataFileError(file: configuration.file, line: nil, field: "mqtt.discovery_templates", message: "\(settings.discoveryTemplates) not found")
        }
        let templates = try DiscoveryTemplates.load(file: file, contract: contract)
        return (contract, DiscoveryBuilder(contract: contract, templates: templates, discoveryPrefix: settings.discoveryPrefix,
                                           version: chargebridgeVersion, qos: settings.qos))
    }

    /// One line for `check-config`: the broker, the topics and what is published (mappings checked).
    public static func summary(_ configuration: Configuration) throws -> String? {
        guard let settings = configuration.mqtt else { return nil }
        let (contract, discovery) = try mappings(configuration, settings)
        let entities = entities(configuration, contract: contract)
        let options = settings.options
        return "mqtt: \(options.host):\(options.port) MQTT \(options.protocolVersion.rawValue)\(options.tls == nil ? "" : " TLS"), "
            + "\(entities.reduce(0) { $0 + $1.values.count }) topics under \(contract.prefix)/, "
            + (discovery.map { "Home Assistant discovery under \($0.discoveryPrefix)/" } ?? "no discovery")
            + (configuration.storage.map { ", settings kept in \($0.databasePath)" } ?? ", settings not kept across restarts (no storage)")
    }

    /// The entities of the configured site, each with the contract's values it can provide.
    static func entities(_ configuration: Configuration, contract: TopicContract) -> [Entity] {
        var result: [Entity] = []
        /// `has`: the values it provides; `takes`: of those with a command, the ones it really takes.
        func add(_ kind: EntityKind, _ id: String, index: Int = 0, placeholders: [String: String],
                 takes: (TopicContract.Value) -> Bool = { _ in true }, has: (TopicContract.Value) -> Bool = { _ in true }) {
            guard let entity = contract.entities[kind], let base = contract.base(kind, id: id) else { return }
            let values = entity.values.filter(has)
            var all = placeholders
            all["site"] = configuration.siteName
            let commands = Set(values.filter { $0.command != nil && takes($0) }.map(\.topic))
            result.append(Entity(kind: kind, id: id, base: base, values: values, topics: values.map { base + "/" + $0.topic }, index: index,
                                 discovery: DiscoveryBuilder.Subject(kind: kind, id: id, topics: Set(values.map(\.topic)), placeholders: all,
                                                                     commands: commands)))
        }
        let offPeak = configuration.load?.offPeak
        // `has:` spelled out: a trailing closure would bind to `takes:`, the first closure parameter
        add(.site, "site", placeholders: ["name": configuration.siteName], has: { value in
            switch value.source {
            case "current.l1", "current.l2", "current.l3", "power", "meter_online": configuration.gridMeter != nil
            case "off_peak": offPeak != nil
            case "tariff": offPeak?.tariffSignal != nil
            case "price": configuration.prices != nil
            default: true
            }
        })
        for (index, charger) in configuration.chargers.enumerated() {
            add(.charger, charger.id, index: index, placeholders: ChargerDevice.placeholders(charger).merging([
                "name": charger.name, "min": "\(charger.limits.minCurrent)", "ceiling": "\(charger.limits.ceiling)",
            ]) { $1 }, takes: { $0.command != .phases || charger.limits.canSwitchPhases })
        }
        for meter in configuration.meters {
            let names = Set(meter.map.quantities.map(\.name))
            // a meter over MQTT has no map of its own: its device names no model or maker
            let device = meter.mqtt == nil ? ["model": meter.map.name, "brand": meter.map.vendor].filter { !$0.value.isEmpty } : [:]
            add(.meter, meter.id, placeholders: device.merging(["name": meter.id]) { $1 }, has: { value in
                value.source == "online" || names.contains(value.source)
            })
        }
        for (index, zone) in (configuration.load?.zones ?? []).enumerated() {
            add(.zone, zone.id, index: index, placeholders: ["name": zone.id, "limit": String(format: "%g", zone.limit.max() ?? 0)])
        }
        for (index, input) in configuration.inputs.enumerated() {
            // every input shows whether it is active; only one that comes over MQTT takes `active/set`
            add(.input, input.id, index: index, placeholders: ["name": input.id, "role": input.role.rawValue],
                takes: { _ in if case .mqtt = input.source { true } else { false } })
        }
        return result
    }

    package func start() {
        client.start()
        // publishes each change as it is raised; at least every second for what changes with time
        // alone (republishing, a meter going stale), every 100 ms while a value is held back
        let worker = WorkerThread(name: "mqtt publisher") { [weak self] stopRequested in
            var wait = 1.0
            while !stopRequested(), let self {
                _ = changes.wait(timeout: wait)
                if stopRequested() { break }
                wait = publish(now: clock.now) ? 1.0 : 0.1
                flushLogs()
            }
        }
        publisher.withLock { $0 = worker }
        worker.start()
    }

    /// Handles the client's events until it stops: (re)connection, commands, Home Assistant's status.
    /// Each is handled in order on a queue of its own: a command writes the database (fsync) and
    /// steps the control, which must not hold up Swift concurrency's shared threads.
    package func run() async {
        for await event in client.events {
            events.async { [self] in
                switch event {
                case .connected:
                    publish(now: clock.now)   // sees the new connection: subscribes and republishes
                case .disconnected(let reason):
                    logger.warning("MQTT broker \(client.options.host):\(client.options.port): \(reason); control goes on, retrying with backoff")
                case .message(let topic, let payload, _):
                    handle(topic: topic, payload: payload)
                }
            }
        }
    }

    /// Counts of rejections held back in an interval that is over: logged now, not only with the
    /// next rejection (which may never come). From the publisher loop, at least once a second.
    private func flushLogs() {
        for (key, held) in rejections.flush() {
            logger.warning("MQTT command on \(key == "unknown" ? "unknown topics" : key) rejected: \(held) more in the last 10 s")
        }
        for (_, held) in priceLogs.flush() { logger.info("prices: \(held) more series in the last 60 s") }
        mqttMeters?.flushLogs()
    }

    private let events = DispatchQueue(label: "mqtt events")
    private let rejections = Coalescer(interval: 10)
    /// At most one error reply per command topic and second: a flood is answered, not echoed.
    private let replies = Coalescer(interval: 1)
    /// Accepted price series are logged at most once a minute.
    private let priceLogs = Coalescer(interval: 60)


    /// `<prefix>/+/…/+/set` for every depth a value topic has.
    var setPatterns: [String] {
        let topics = entities.flatMap(\.topics) + commandTopics.keys.map { String($0.dropLast(4)) } + [listTopic]
        let depths = Set(topics.map { $0.dropFirst(contract.prefix.count + 1).split(separator: "/").count })
        return depths.sorted().map { contract.prefix + String(repeating: "/+", count: $0) + "/set" }
    }

    package func stop() {
        let worker = publisher.withLock { $0 }
        worker?.requestStop()
        changes.raise()   // out of its wait now
        worker?.stop(timeout: 3)
        client.stop(final: MQTTOptions.Will(topic: contract.availabilityTopic, payload: "offline"))
    }

    private func handle(topic: String, payload: [UInt8]) {
        if mqttMeters?.receive(topic: topic, payload: payload, now: clock.now) == true { return }
        if topic == pricesTopic {
            receivePrices(topic: topic, payload: payload)
            return
        }
        if handleAuthorization(topic: topic, payload: payload) { return }
        if let discovery, topic == discovery.statusTopic {
            if String(decoding: payload.prefix(16), as: UTF8.self) == "online" {
                logger.info("Home Assistant is online: discovery republished")
                state.withLock { $0.discoveryDue = true }
                publish(now: clock.now)
            }
            return
        }
        guard !payload.isEmpty, topic.hasSuffix("/set") else { return }   // empty: our own clearing of a set topic
        // clear the set topic first, so a retained command is never replayed
        client.publish(topic, "", qos: qos, retain: true)
        guard let route = routes[topic] else {
            let value = String(topic.dropLast(4))
            reject(topic: topic, payload: payload, reason: valueTopics.contains(value)
                   ? "\(value.dropFirst(contract.prefix.count + 1)) is read-only" : "no such entity or value under \(contract.prefix)/")
            return
        }
        let parsed = CommandPayload.parse(route.command, payload, maxLength: contract.maxPayload, on: contract.payloadOn, off: contract.payloadOff)
        do {
            _ = try control.execute(route.command, id: route.id, parsed.get())
            control.step(now: clock.now)   // the effect shows at once, not at the next tick
        } catch {
            reject(topic: topic, payload: payload, reason: "\(error)")
        }
        publish(now: clock.now)
    }

    /// The configured price topic (`prices: { mqtt: TOPIC }`), if any.
    var pricesTopic: String? {
        if case .mqtt(let topic) = configuration.prices?.source { topic } else { nil }
    }

    /// A price series: taken whole, or refused on the error topic with nothing changed.
    private func receivePrices(topic: String, payload: [UInt8]) {
        guard !payload.isEmpty, let settings = configuration.prices else { return }   // an empty retained message clears nothing
        switch PricePayload.decode(payload, slotMinutes: settings.slotMinutes) {
        case .success(let series):
            control.setPrices(series)
            // a sender repeating itself gets a line a minute, not one per message
            if let held = priceLogs.admit("prices") {
                let more = held > 0 ? " (and \(held) more series in the last 60 s)" : ""
                logger.info("prices: \(series.slots.count) slots of \(settings.slotMinutes) min from \(PricePayload.text(series.start))\(more)")
            }
            control.step(now: clock.now)
            publish(now: clock.now)
        case .failure(let problem):
            reject(topic: topic, payload: payload, reason: problem.description)
        }
    }

    func reject(topic: String, payload: [UInt8], reason: String) {
        let shown = String(decoding: payload.prefix(64), as: UTF8.self) + (payload.count > 64 ? "…" : "")
        // every rejection is answered on the error topic; the log takes one line per 10 s
        // keyed by the command's topic, or one key for every topic nobody handles (a stranger
        // inventing topics gets one line per 10 s, not one per message)
        let key = routes[topic] == nil && commandTopics[topic] == nil && topic != listTopic + "/set" ? "unknown" : topic
        if let held = rejections.admit(key) {
            logger.warning("MQTT command on \(topic) rejected: \(reason)\(held > 0 ? " (and \(held) more rejected in the last 10 s)" : "")")
        }
        // the reply says how many rejections on its topic went unanswered since the last one
        guard let suppressed = replies.admit(key) else { return }
        var message: [String: Any] = ["topic": topic, "payload": shown, "error": reason]
        if suppressed > 0 { message["suppressed"] = suppressed }
        if let data = try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]) {
            client.publish(contract.errorTopic, String(decoding: data, as: UTF8.self), qos: qos, retain: false)
        }
    }

    /// After every (re)connect, seen through the client's connection count (an event can be
    /// dropped from a full stream; the count cannot): subscribe, say "online", republish it all.
    private func handleNewConnection(_ state: inout State) {
        let connections = client.connections
        guard connections != state.handledConnections else { return }
        state.handledConnections = connections
        logger.notice("MQTT connected to \(client.options.host):\(client.options.port)")
        client.publish(contract.availabilityTopic, "online", qos: qos)
        // every <value>/set under the prefix, known or not: an unknown one is answered, not ignored
        for pattern in setPatterns { client.subscribe(pattern, qos: qos) }
        for topic in mqttMeters?.topics ?? [] { client.subscribe(topic, qos: qos) }
        if let topic = pricesTopic { client.subscribe(topic, qos: qos) }
        if let discovery { client.subscribe(discovery.statusTopic, qos: qos) }
        state.published = [:]          // everything again: the broker may have lost it
        state.sources = [:]
        state.discoveryDue = discovery != nil
    }

    /// One publishing pass: every value that changed (and may be sent again), or all of them
    /// when the republish interval is due or `full`. Called after every control tick.
    /// The health summary, retained (skipped while the broker is away).
    package func publishHealth(_ json: String) {
        guard client.isConnected else { return }
        _ = client.publish(contract.healthTopic, json, qos: qos, retain: true)
    }

    package var healthInterval: Double { contract.healthInterval }

    package var isConnected: Bool { client.isConnected }

    /// Returns true when every value is out (nothing held back by its minimum interval).
    @discardableResult
    package func publish(now: Seconds, full forced: Bool = false) -> Bool {
        guard client.isConnected else { return true }
        return state.withLock { state in
            handleNewConnection(&state)
            // taken under this lock, so an older view never overwrites a newer one
            let view = control.view()
            let snapshots = chargers.map(\.snapshot)
            let evPower = snapshots.reduce(0) { $0 + ($1.status.online ? $1.status.totalPower : 0) }
            let zoneReports = Dictionary(view.zones.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
            let full = forced || contract.republishInterval > 0 && now - state.lastFull >= contract.republishInterval
            if full { state.lastFull = now }
            for (number, entity) in entities.enumerated() {
                let source: Source?
                switch entity.kind {
                case .charger:
                    var control = view.chargers[entity.index]
                    control.revision = 0
                    source = .charger(snapshots[entity.index], control)
                case .meter:
                    let readings = meters.readings(entity.id, now: now)
                    source = .meter(readings)
                    // a quantity seen for the first time: its entity is announced (checked in place: every pass)
                    for name in readings?.keys ?? [:].keys where state.meterQuantities[entity.id, default: []].insert(name).inserted {
                        state.discoveryDue = discovery != nil
                    }
                default: source = nil
                }
                if !full, let source, state.sources[number] == source, !state.unsettled.contains(number) { continue }
                state.sources[number] = source
                let values: EntityValues
                switch (entity.kind, source) {
                case (.site, _): values = EntityViews.site(view, evPower: evPower)
                case (.charger, .charger(let snapshot, let control)):
                    values = EntityViews.charger(snapshot, control, limits: chargers[entity.index].config.limits,
                                                 currency: configuration.prices?.currency ?? "EUR")
                case (.meter, .meter(let readings)): values = EntityViews.meter(readings)
                case (.charger, _), (.meter, _): continue
                case (.zone, _):
                    guard let report = zoneReports[entity.id], let zone = configuration.load?.zones[entity.index] else { continue }
                    values = EntityViews.zone(report, limit: report.limit ?? zone.limit, operatorLimit: view.operatorLimits[entity.id],
                                              setpoint: view.zoneSetpoints[entity.id])
                case (.input, _):
                    values = EntityViews.input(configuration.inputs[entity.index], active: view.inputValues[entity.id])
                }
                var heldBack = false
                for (value, topic) in zip(entity.values, entity.topics) {
                    let last = state.published[topic]
                    // too soon to send this one again: not even worth formatting
                    if let last, !full, now - last.time < value.minInterval {
                        heldBack = true
                        continue
                    }
                    // no value (nil, NaN, an empty text): the explicit "none" payload, never an empty retained message
                    let text = (values[value.source] ?? nil)?.payload(decimals: value.decimals, on: contract.payloadOn, off: contract.payloadOff) ?? ""
                    let payload = text.isEmpty ? contract.payloadNone : text
                    if let last, !full, last.payload == payload { continue }
                    if client.publish(topic, payload, qos: qos, retain: true) {
                        BridgeMetrics.publishes.increment()
                        state.published[topic] = Published(payload: payload, time: now)
                    }
                }
                if heldBack { state.unsettled.insert(number) } else { state.unsettled.remove(number) }
            }
            if let summary = listSummary(), full || state.published[listTopic]?.payload != summary,
               client.publish(listTopic, summary, qos: qos, retain: true) {
                state.published[listTopic] = Published(payload: summary, time: now)
            }
            // a charger that reported its own model, serial or firmware: its device info says so
            var identities: [String: ChargerIdentity] = [:]
            for entity in entities where entity.kind == .charger {
                identities[entity.id] = ChargerIdentity(snapshots[entity.index].status)
            }
            if identities != state.identities, identities.values.contains(where: { !$0.isEmpty }) { state.discoveryDue = discovery != nil }
            if state.discoveryDue, let discovery {
                var sent = true
                for entity in entities {
                    var subject = entity.discovery
                    identities[entity.id]?.apply(to: &subject.placeholders)
                    if entity.kind == .meter { subject.keepOnly(sources: state.meterQuantities[entity.id, default: []], of: entity.values) }
                    if let message = discovery.message(for: subject) { sent = client.publish(message.topic, message.payload, qos: qos, retain: true) && sent }
                }
                if sent { state.identities = identities }
                state.discoveryDue = !sent   // again at the next pass if the connection dropped meanwhile
            }
            return state.unsettled.isEmpty
        }
    }
}
