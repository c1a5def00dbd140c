import Foundation
import Synchronization

/// A thread of its own that runs `body` until stopped: the service's blocking work (driver calls,
/// file inputs, database writes) stays off Swift concurrency's few shared threads.
package final class WorkerThread: Sendable {
    package let name: String
    private let stopRequested = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let body: @Sendable (_ stopRequested: () -> Bool) -> Void

    /// `body` runs once and must return soon after its argument says stop.
    package init(name: String, body: @escaping @Sendable (_ stopRequested: () -> Bool) -> Void) {
        self.name = name
        self.body = body
    }

    /// Calls `step` every `period` seconds (on a fixed cadence: work time does not add up) until stopped.
    /// Paced by the monotonic clock: a wall clock set back or forward (NTP on a device without a
    /// real-time clock) neither stops the steps nor makes them catch up in a burst.
    package convenience init(name: String, period: Double, step: @escaping @Sendable () -> Void) {
        self.init(name: name) { stopRequested in
            let clock = ContinuousClock()
            let interval = Duration.nanoseconds(Int64(period * 1e9))
            var next = clock.now
            while !stopRequested() {
                step()
                next = max(next.advanced(by: interval), clock.now)
                while !stopRequested(), clock.now < next {
                    Thread.sleep(forTimeInterval: min(0.05, Self.seconds(next - clock.now)))
                }
            }
        }
    }

    package static func seconds(_ duration: Duration) -> Double {
        max(0, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    package func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            body { stopRequested.load(ordering: .acquiring) }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Asks the thread to stop without waiting (to stop several at once).
    package func requestStop() { stopRequested.store(true, ordering: .releasing) }

    /// Asks it to stop and waits for it, at most `timeout` seconds; false if it is still running.
    @discardableResult
    package func stop(timeout: Double = 10) -> Bool {
        requestStop()
        guard started.load(ordering: .acquiring) else { return true }
        return finished.wait(timeout: .now() + timeout) == .success
    }
}
