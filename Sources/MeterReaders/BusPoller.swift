import EnergyControl
import Foundation
import LinkValues
import Logging
import Modbus
import RegisterMaps
import ServiceSupport
import Synchronization

/// One RS-485 bus or Modbus TCP endpoint, owned by one thread: its devices are polled one
/// transaction at a time (a bus carries one at a time), each at its own period. A device that
/// times out delays only the devices on the same bus; other buses have their own threads.
package final class BusPoller: Sendable {
    let endpoint: Endpoint
    let devices: [PolledDevice]
    let timeout: Duration
    let clock: MonotonicSeconds
    /// Called on the bus thread after every poll of a device.
    let deliver: @Sendable (_ device: PolledDevice, _ readings: [Reading], _ time: Seconds) -> Void
    private let worker: WorkerThread

    package init(endpoint: Endpoint, devices: [PolledDevice], timeout: Duration, clock: MonotonicSeconds, logger: Logger,
         deliver: @escaping @Sendable (PolledDevice, [Reading], Seconds) -> Void) {
        self.endpoint = endpoint
        self.devices = devices
        self.timeout = timeout
        self.clock = clock
        self.deliver = deliver
        worker = WorkerThread(name: "bus \(endpoint)") { stopRequested in
            Self.run(endpoint: endpoint, devices: devices, timeout: timeout, clock: clock, logger: logger, deliver: deliver, stopRequested: stopRequested)
        }
    }

    package func start() { worker.start() }
    /// Asks the thread to stop after its current transaction, without waiting.
    package func requestStop() { worker.requestStop() }
    /// Stops and waits (at most a few seconds: a transaction in progress may be slow).
    package func stop() { worker.stop(timeout: 5) }

    private static func run(endpoint: Endpoint, devices: [PolledDevice], timeout: Duration, clock: MonotonicSeconds, logger: Logger,
                            deliver: @Sendable (PolledDevice, [Reading], Seconds) -> Void, stopRequested: () -> Bool) {
        // The endpoint may not open (a USB adapter not plugged in yet): its devices deliver nothing
        // and go "lost" through their stale time; it is tried again every few seconds.
        var opened: ModbusClient?
        var reported = false
        while opened == nil, !stopRequested() {
            do {
                opened = try ModbusClient(endpoint: endpoint, unit: devices.first?.unit ?? 1, timeout: timeout)
            } catch {
                if !reported { logger.warning("cannot open \(endpoint) for \(devices.map(\.id).joined(separator: ", ")): \(error); trying again every 5 s") }
                reported = true
                for _ in 0..<100 where !stopRequested() { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
        guard let client = opened else { return }
        let pollers = devices.map { device -> any MeterPolling in
            guard let selection = device.sunspec else { return DevicePoller(map: device.map, client: client) }
            return SunSpecPoller(selection: selection, quantities: device.map.quantities, client: client,
                                 label: "\(device.role.noun) \(device.id) (\(endpoint) unit \(device.unit))", logger: logger)
        }
        let metrics = devices.map { device -> BridgeMetrics.Device? in
            if case .input = device.role { return nil }
            if case .utilityGateway = device.role { return nil }
            return BridgeMetrics.Device(id: device.id)
        }
        var due = [Seconds](repeating: clock.now, count: devices.count)
        var health = [DeviceHealth](repeating: DeviceHealth(), count: devices.count)
        while !stopRequested() {
            let now = clock.now
            for index in devices.indices where now >= due[index] {
                client.unit = devices[index].unit
                let outcome = pollers[index].poll()
                metrics[index]?.record(outcome)
                deliver(devices[index], outcome.readings, clock.now)
                let device = devices[index]
                let needs: (String) -> Bool = switch device.role {
                case .gridMeter, .zoneMeter: { $0.hasPrefix("current.") || $0.hasPrefix("power.") }
                case .pvMeter, .batteryMeter: { $0 == "power.total" }
                case .utilityGateway: { $0 == "limit" }
                default: { _ in false }
                }
                if let change = health[index].observe(problem: DeviceHealth.problem(outcome.readings, needs: needs)) {
                    let text = "\(device.role.noun) \(device.id) (\(endpoint) unit \(device.unit)) \(change.text)"
                    if change.warning { logger.warning("\(text)") } else { logger.notice("\(text)") }
                }
                due[index] += devices[index].period
                if due[index] < clock.now { due[index] = clock.now + devices[index].period }   // fell behind: no burst
            }
            let wait = min(0.05, max(0, (due.min() ?? now + 0.05) - clock.now))
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
    }
}
