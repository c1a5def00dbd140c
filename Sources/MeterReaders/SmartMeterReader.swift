import CoreMetrics
import EnergyControl
import Foundation
import Logging
import RegisterMaps
import SerialLine
import ServiceConfiguration
import ServiceSupport
import SmartMeters

/// A smart meter's consumer port (P1 / DSMR or Linky TIC), read on a thread of its own: every
/// valid telegram is delivered at once (the fuse loop reacts to each), a rejected one is counted
/// and logged (rate-limited) and never used, and a silent line makes the meter lost.
package final class SmartMeterReader: Sendable {
    let device: PolledDevice
    private let worker: WorkerThread

    package init(device: PolledDevice, path: String, serial: SerialSettings, port: SmartMeterPort, clock: MonotonicSeconds, logger: Logger,
         deliver: @escaping @Sendable (PolledDevice, [Reading], Seconds) -> Void) {
        self.device = device
        let name = "\(device.role.noun) \(device.id) (\(SmartMeterPort.label(port)) on \(path))"
        worker = WorkerThread(name: "smart meter \(device.id)") { stopRequested in
            var decoder: any TelegramDecoder = switch port {
            case .p1(let legacy): DSMRDecoder(crcRequired: !legacy)
            case .tic(let standard): TICDecoder(mode: standard ? .standard : .historique)
            }
            let units = Dictionary(device.map.quantities.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let rejected = Counter(label: BridgeMetrics.meterErrors, dimensions: [("meter", device.id), ("kind", "bad_telegram")])
            var rejections = CoalescingRule(interval: 60)   // this thread's own: no lock
            var health = DeviceHealth()
            var lastTelegram = clock.now
            var line: SerialLine?
            var openFailed = false
            while !stopRequested() {
                guard let open = line else {
                    do {
                        line = try SerialLine(device: path, settings: serial)
                        lastTelegram = clock.now
                        if openFailed { logger.notice("\(name): port open again") }
                        openFailed = false
                    } catch {
                        if !openFailed { logger.warning("\(name): cannot open: \(error); trying again every 5 s") }
                        openFailed = true
                        for _ in 0..<100 where !stopRequested() { Thread.sleep(forTimeInterval: 0.05) }
                    }
                    continue
                }
                let bytes: [UInt8]
                do { bytes = try open.read(timeoutMilliseconds: 200) } catch {
                    logger.warning("\(name): \(error); reopening")
                    line = nil
                    continue
                }
                let now = clock.now
                for result in decoder.feed(bytes) {
                    switch result {
                    case .values(let values):
                        lastTelegram = now
                        let readings = Self.readings(values, units: units)
                        deliver(device, readings, now)
                        if let change = health.observe(problem: DeviceHealth.problem(readings, needs: { $0.hasPrefix("current.") })) {
                            change.warning ? logger.warning("\(name) \(change.text)") : logger.notice("\(name) \(change.text)")
                        }
                    case .rejected(let reason):
                        rejected.increment()
                        if let held = rejections.admit("rejected", at: Date()) {
                            logger.warning("\(name): telegram dropped: \(reason)\(held > 0 ? " (and \(held) more in the last 60 s)" : "")")
                        }
                    }
                }
                for (_, held) in rejections.flush(now: Date()) {
                    logger.warning("\(name): \(held) more telegrams dropped in the last 60 s")
                }
                // a pulled cable sends nothing: after three telegram periods the meter is lost
                if now - lastTelegram > 3 * device.period {
                    if let change = health.observe(problem: "no telegram for \(Int(now - lastTelegram)) s") {
                        logger.warning("\(name) \(change.text)")
                    }
                    lastTelegram = now   // counted again after another three periods
                }
            }
        }
    }

    /// Values outside the map's plausible range count as missing, like a Modbus meter's.
    static func readings(_ values: [String: Double], units: [String: Quantity]) -> [Reading] {
        values.sorted { $0.key < $1.key }.map { name, value in
            let quantity = units[name]
            let unit = quantity?.unit.siSymbol ?? ""
            if let range = quantity?.range, !range.contains(value) { return Reading(name: name, unit: unit, value: .failure(.outOfRange(value))) }
            return Reading(name: name, unit: unit, value: .success(.number(value)))
        }
    }

    package func start() { worker.start() }
    package func requestStop() { worker.requestStop() }
    package func stop() { worker.stop(timeout: 2) }
}

