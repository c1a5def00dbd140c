import Authorization
import ControlCore
import EnergyControl
import Foundation
import Logging
import OCPP
import OCPPUplink
import OCPPUplinkClient
import RegisterMaps
import ServiceConfiguration
import ServiceSupport
import SiteRuntime
import Storage
import StorageModel

/// One charger forwarded to its CPO backend: the client's host in the running service. It reads
/// the charger's status from its `ChargerPoint`, writes the journal to the database (one serial
/// queue for all uplinks, so writes keep their order), hands the backend's cap and commands to the
/// control off the event loop, and shows the uplink's state on MQTT.
final class ChargerUplink: UplinkHost {
    let index: Int
    let point: ChargerPoint
    let control: SiteControl
    let database: ChargeDatabase?
    let clock: MonotonicSeconds
    let logger: Logger
    /// The database writes of every uplink, in order.
    static let writes = DispatchQueue(label: "uplink store")
    /// This charger's commands and caps, in order, off the event loop.
    private let actions = DispatchQueue(label: "uplink control")

    init(index: Int, point: ChargerPoint, control: SiteControl, database: ChargeDatabase?, clock: MonotonicSeconds, logger: Logger) {
        self.index = index
        self.point = point
        self.control = control
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    /// The uplink of charger `index`, its journal restored from the database.
    static func make(index: Int, settings: ChargerUplinkSettings, configuration: Configuration, point: ChargerPoint, control: SiteControl,
                     book: AuthorizationBook?, database: ChargeDatabase?, clock: MonotonicSeconds, logger: Logger) throws -> UplinkClient {
        guard let endpoint = UplinkEndpoint(url: settings.url, chargePointId: settings.chargePointId, password: settings.password, caFile: settings.ca) else {
            throw DataFileError(file: configuration.file, line: nil, field: "chargers.\(point.config.id).uplink.url", message: "not a ws:// or wss:// URL: \(settings.url)")
        }
        let identity = point.config.identity
        var machineSettings = UplinkSettings(identity: UplinkIdentity(vendor: identity.brand, model: identity.model, serial: identity.serial,
                                                                      firmware: identity.firmware),
                                             idPrefix: "u" + String(Int(Date().timeIntervalSince1970), radix: 36))
        machineSettings.defaultIdTag = settings.idTag
        machineSettings.autostart = settings.autostart
        machineSettings.heartbeat = Double(settings.heartbeatSeconds)
        machineSettings.meterInterval = Double(settings.meterIntervalSeconds)
        machineSettings.offline = OCPPUplink.OfflineAuthorization(rawValue: settings.offline) ?? .localList
        machineSettings.localList = configuration.ocpp?.allowedTags
        if let book {
            // offline local_list: the site's authorization decides, as the backend is unreachable
            let id = point.config.id, listForm = point.config.driver == "ocpp"
            machineSettings.localAuthorizer = TagAuthorizer { tag, wall in book.decide(tag: tag, charger: id, backend: .unreachable, at: wall, inListForm: listForm) }
        }
        machineSettings.capacity = settings.maxQueued
        machineSettings.canReset = point.config.driver == "ocpp"
        machineSettings.followsTransactions = point.config.driver == "ocpp"
        // the OCPP driver shows tags in the list's form (OCPPChargerDriver.poll)
        if point.config.driver == "ocpp", let format = book?.rules[point.config.id]?.format { machineSettings.tagFormat = format }
        let restored = try database.map { UplinkRestored(try $0.uplinkRecords(charger: point.config.id)) } ?? UplinkRestored()
        if !restored.journal.isEmpty {
            logger.notice("uplink: \(restored.journal.count) transaction message(s) kept from the last run, delivered once the backend answers",
                          metadata: ["charger": "\(point.config.id)"])
        }
        let host = ChargerUplink(index: index, point: point, control: control, database: database, clock: clock, logger: logger)
        let client = UplinkClient(chargerId: point.config.id, endpoint: endpoint, machine: UplinkMachine(settings: machineSettings, restored: restored),
                                  host: host, logger: logger)
        // an OCPP charge point in `backend` mode has its tags asked of this backend
        book?.backends.register(charger: point.config.id) { tag, reply in client.ask(tag: tag, within: BackendTags.wait, reply: reply) }
        return client
    }

    // MARK: - UplinkHost

    func uplinkStatus() -> ChargerStatus? { point.snapshot.status }

    func uplinkStore(_ changes: [UplinkStoreChange]) {
        guard let database else { return }
        let id = point.config.id, logger = logger
        Self.writes.async {
            do {
                try database.applyUplink(charger: id, changes)
            } catch {
                logger.error("uplink: the journal could not be written: \(error)", metadata: ["charger": "\(id)"])
            }
        }
    }

    func uplinkCommand(_ command: UplinkMachine.Command) {
        let id = point.config.id
        switch command {
        case .force(let on):
            actions.async { [self] in
                do {
                    _ = try control.execute(.force, id: id, .flag(on))
                    control.step(now: clock.now)
                } catch {
                    logger.notice("uplink: the backend's \(on ? "start" : "stop") not applied: \(error)", metadata: ["charger": "\(id)"])
                }
            }
        case .reset(let type):
            actions.async { [self] in
                do {
                    try control.drivers[index].perform(.reset(hard: type == "Hard"))
                } catch {
                    logger.notice("uplink: the backend's \(type) reset not passed on: \(error)", metadata: ["charger": "\(id)"])
                }
            }
        }
    }

    func uplinkCap(_ amperes: Int?) {
        actions.async { [self] in control.backendLimit(charger: index, amperes, now: clock.now) }
    }

    func uplinkState(_ state: UplinkState) {
        var fields: [String: JSONValue] = ["connected": .bool(state.connected), "booted": .bool(state.booted), "queued": .number(Double(state.queued))]
        fields["cap"] = state.cap.map { .number(Double($0)) } ?? .null
        point.showUplink(JSONValue.object(fields).text)
    }
}
