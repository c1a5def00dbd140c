import EnergyControl
import Foundation
import Logging
import ServiceConfiguration
import SiteRuntime

/// Prices from a file (`prices: { file: PATH }`): read at start and again whenever it changes
/// (`WatchedFile`). A bad file is logged and changes nothing: the last good series stays.
final class PriceFile: Sendable {
    let file: WatchedFile
    let slotMinutes: Int
    let logger: Logger

    init(path: String, slotMinutes: Int, logger: Logger) {
        file = WatchedFile(path: path, maxBytes: PricePayload.maxBytes)
        self.slotMinutes = slotMinutes
        self.logger = logger
    }

    func poll(now: Double, into control: SiteControl) {
        let path = file.path
        switch file.poll(now: now) {
        case .unchanged: return
        case .unreadable:
            logger.warning("prices: \(path) cannot be read (or is larger than \(PricePayload.maxBytes) bytes); the last prices stay")
        case .changed(let data):
            switch PricePayload.decode(Array(data), slotMinutes: slotMinutes) {
            case .success(let series):
                control.setPrices(series)
                logger.notice("prices: \(series.slots.count) slots of \(slotMinutes) min from \(path)")
            case .failure(let problem):
                logger.warning("\(path): \(problem); the last prices stay")
            }
        }
    }
}
