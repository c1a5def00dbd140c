import Authorization
import EnergyControl
import Foundation
import Logging
import ServiceConfiguration
import ServiceSupport
import SiteRuntime
import Storage
import Synchronization

extension BridgeService {
    /// The site's list and each charger's rules. The list starts from the configuration (`tags:`,
    /// `ocpp.authorize`); without a list file, the list last changed over MQTT replaces it and
    /// every MQTT change is saved before it is taken. With a list file, the file is the record.
    static func makeBook(_ configuration: Configuration, database: ChargeDatabase?, logger: Logger) throws -> AuthorizationBook {
        let rules = Dictionary(zip(configuration.chargers.map(\.id), configuration.authorizationRules), uniquingKeysWith: { $1 })
        guard configuration.authorization.listFile == nil, let database else {
            return AuthorizationBook(list: configuration.initialList, rules: rules, file: configuration.authorization.listFile)
        }
        let store = ListStore(database: database)
        let book = AuthorizationBook(list: configuration.initialList, rules: rules, saver: { try store.save($0) })
        if let saved = try store.load() {
            book.restore(saved)
            logger.notice("authorization: the list saved at the last change (version \(saved.version), \(saved.count) tags) replaces the configured one")
        }
        return book
    }

    /// From the control timer: the list file, and the list's priority tags for load management.
    func pollAuthorization(now: Seconds) {
        if let path = configuration.authorization.listFile {
            let file = listFiles.withLock { file in
                if file == nil { file = AuthorizationListFile(path: path, logger: logger) }
                return file!
            }
            file.poll(now: now, into: book)
        }
        let list = book.list
        let changed = listVersionSeen.withLock { seen in
            defer { seen = list.version }
            return seen != list.version
        }
        if changed { control.setListPriorityTags(ChargerListView.priorityTags(list, rules: configuration.authorizationRules)) }
    }
}
