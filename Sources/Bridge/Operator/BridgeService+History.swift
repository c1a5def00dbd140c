import Foundation
import OperatorStatus
import ServiceSupport
import Synchronization

/// The status page's charts: the control timer takes a sample of the site every
/// `http.history_period_s` (only with `http:`; nothing else shows them).
final class HistorySampler: Sendable {
    let period: Double
    private let state: Mutex<(history: SiteHistory, next: Double)>

    init(period: Double, chargerIDs: [String]) {
        self.period = period
        state = Mutex((SiteHistory(period: period, chargerIDs: chargerIDs), 0))
    }

    /// Whether a sample is due at this monotonic time (then the next is one period on).
    func due(now: Double) -> Bool {
        state.withLock { state in
            guard now >= state.next else { return false }
            state.next += period
            // a late timer does not make up for missed samples: the next is a period from now
            if state.next <= now { state.next = now + period }
            return true
        }
    }

    func record(_ sample: HistorySample) { state.withLock { $0.history.record(sample) } }

    /// A copy (the rings' storage is shared until the next sample).
    var history: SiteHistory { state.withLock { $0.history } }
}

extension BridgeService {
    /// Called by the control timer: a sample of the site when one is due.
    func sampleHistory() {
        guard let sampler = historySampler, sampler.due(now: clock.now) else { return }
        let status = siteStatus(events: false, history: false)
        sampler.record(HistorySample.of(status, time: Date().timeIntervalSince1970))
    }
}
