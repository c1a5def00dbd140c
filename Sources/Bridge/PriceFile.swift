import EnergyControl
import Foundation
import Logging
import ServiceConfiguration
import SiteRuntime
import Synchronization

/// Prices from a file (`prices: { file: PATH }`): read at start and again whenever its modification
/// time or size changes, looked at every 10 s from the control timer. A bad file is logged and
/// changes nothing: the last good series stays.
final class PriceFile: Sendable {
    struct Seen: Equatable {
        var modified: Date?
        var size: Int?
    }

    let path: String
    let slotMinutes: Int
    let logger: Logger
    private let state = Mutex<(checked: Double, seen: Seen?)>((-.infinity, nil))

    init(path: String, slotMinutes: Int, logger: Logger) {
        self.path = path
        self.slotMinutes = slotMinutes
        self.logger = logger
    }

    func poll(now: Double, into control: SiteControl) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let seen = Seen(modified: attributes?[.modificationDate] as? Date, size: (attributes?[.size] as? NSNumber)?.intValue)
        let due = state.withLock { state -> Bool in
            guard now - state.checked >= 10 || state.seen == nil else { return false }
            state.checked = now
            guard state.seen != seen else { return false }
            state.seen = seen
            return true
        }
        guard due else { return }
        guard let size = seen.size, size <= PricePayload.maxBytes, let data = FileManager.default.contents(atPath: path) else {
            logger.warning("prices: \(path) cannot be read (or is larger than \(PricePayload.maxBytes) bytes); the last prices stay")
            return
        }
        switch PricePayload.decode(Array(data), slotMinutes: slotMinutes) {
        case .success(let series):
            control.setPrices(series)
            logger.notice("prices: \(series.slots.count) slots of \(slotMinutes) min from \(path)")
        case .failure(let problem):
            logger.warning("\(path): \(problem); the last prices stay")
        }
    }
}
