import ServiceSupport
import StorageModel
import Foundation
import Logging
import Storage
import Synchronization

/// Writes sessions and events to the database off the control path: control and the Modbus
/// threads hand over changes (never blocking on the disk), a thread of its own commits them in
/// batches, one transaction each. A failed write (disk full) keeps the batch and retries; the
/// service goes on controlling meanwhile.
package final class Recorder: Sendable {
    package let database: ChargeDatabase
    private let pending = Mutex<[StorageChange]>([])
    private let logger: Logger
    private let retention: Double
    private let writerFailing = Atomic<Bool>(false)
    private let nextPrune = Mutex<Double>(0)
    private let thread = Mutex<WorkerThread?>(nil)
    private let period: Double
    /// Beyond this many waiting changes (the disk has failed for long) the oldest events are dropped;
    /// session changes are always kept.
    static let backlogLimit = 100_000

    package init(database: ChargeDatabase, retentionDays: Double, logger: Logger, period: Double = 0.1) {
        self.database = database
        self.logger = logger
        self.retention = retentionDays * 86_400
        self.period = period
    }

    package func start() {
        let writer = WorkerThread(name: "storage writer", period: period) { [weak self] in self?.flush() }
        thread.withLock { $0 = writer }
        writer.start()
    }

    /// Writes what is waiting and stops the writer (at shutdown, after the last changes).
    package func stop() {
        thread.withLock { $0 }?.stop()
        flush()
        do { try database.checkpoint() } catch { logger.warning("database checkpoint at stop: \(error)") }
    }

    /// Changes waiting for the writer, and whether the last write failed (for the health summary).
    package var backlog: (pending: Int, failing: Bool) {
        (pending.withLock { $0.count }, writerFailing.load(ordering: .relaxed))
    }

    package func record(_ changes: [StorageChange]) {
        guard !changes.isEmpty else { return }
        pending.withLock { pending in
            pending.append(contentsOf: changes)
            if pending.count > Self.backlogLimit, let oldest = pending.firstIndex(where: { if case .event = $0 { true } else { false } }) {
                pending.remove(at: oldest)
            }
        }
    }

    /// One event, time-stamped now.
    package func event(_ kind: EventKind, subject: String = "", _ detail: String = "") {
        record([.event(EventRecord(at: Date().timeIntervalSince1970, kind: kind.rawValue, subject: subject, detail: detail))])
    }

    /// Commits everything waiting in one transaction; prunes old events once an hour.
    package func flush() {
        let batch = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        if !batch.isEmpty {
            do {
                try database.apply(batch)
                if writerFailing.exchange(false, ordering: .relaxed) { logger.notice("database writes work again") }
            } catch {
                // keep them, in order, ahead of anything that arrived meanwhile
                pending.withLock { $0.insert(contentsOf: batch, at: 0) }
                if !writerFailing.exchange(true, ordering: .relaxed) { logger.error("cannot write to the database (retrying): \(error)") }
                return
            }
        }
        pruneIfDue()
    }

    private func pruneIfDue() {
        let now = Date().timeIntervalSince1970
        guard nextPrune.withLock({ next in
            guard now >= next else { return false }
            next = now + 3600
            return true
        }) else { return }
        do {
            let removed = try database.pruneEvents(before: now - retention)
            if removed > 0 { logger.info("pruned \(removed) event(s) older than \(Int(retention / 86_400)) days") }
        } catch {
            logger.warning("event pruning failed: \(error)")
        }
    }
}
