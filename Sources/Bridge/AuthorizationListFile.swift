import Authorization
import Foundation
import Logging
import ServiceConfiguration
import ServiceSupport

/// The local list from a file (`authorization: { list_file: PATH }`, YAML or JSON): read at start
/// and again whenever it changes, taken whole as a full update (not saved in the database: the
/// file is its record). A bad file is logged and changes nothing: the last list stays.
final class AuthorizationListFile: Sendable {
    let file: WatchedFile
    let logger: Logger

    init(path: String, logger: Logger) {
        file = WatchedFile(path: path, maxBytes: ListPayload.maxBytes)
        self.logger = logger
    }

    func poll(now: Double, into book: AuthorizationBook) {
        let path = file.path
        switch file.poll(now: now) {
        case .unchanged: return
        case .unreadable:
            logger.warning("authorization: \(path) cannot be read (or is larger than \(ListPayload.maxBytes) bytes); the list stays as it is")
        case .changed(let data):
            do {
                var update = try ListPayload.file(String(decoding: data, as: UTF8.self), path: path).get()
                // a version that is not newer (an edited file that kept it): the next one
                if let version = update.version, version <= book.list.version { update.version = nil }
                let list = try book.apply(update, save: false)
                logger.notice("authorization: \(list.count) tags, version \(list.version), from \(path)")
            } catch {
                logger.warning("authorization: \(error); the list stays as it is")
            }
        }
    }
}
