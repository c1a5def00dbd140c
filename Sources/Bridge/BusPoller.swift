import EnergyControl
import Foundation
import Modbus
import RegisterMaps
import Synchronization

/// One RS-485 bus or Modbus TCP endpoint, owned by one thread: its devices are polled one
/// transaction at a time (a bus carries one at a time), each at its own period. A device that
/// times out delays only the devices on the same bus; other buses have their own threads.
final class BusPoller: Sendable {
    struct Device: Sendable {
        let id: String
        let map: RegisterMap
        let unit: Int
        let period: Seconds
    }

    let endpoint: Endpoint
    let devices: [Device]
    let timeout: Duration
    let clock: MonotonicSeconds
    /// Called on the bus thread after every poll of a device.
    let deliver: @Sendable (_ id: String, _ readings: [Reading], _ time: Seconds) -> Void
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(endpoint: Endpoint, devices: [Device], timeout: Duration, clock: MonotonicSeconds,
         deliver: @escaping @Sendable (String, [Reading], Seconds) -> Void) {
        self.endpoint = endpoint
        self.devices = devices
        self.timeout = timeout
        self.clock = clock
        self.deliver = deliver
    }

    func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "bus \(endpoint)"
        thread.start()
    }

    func stop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    private func run() {
        let client: ModbusClient
        do {
            client = try ModbusClient(endpoint: endpoint, unit: devices.first?.unit ?? 1, timeout: timeout)
        } catch {
            // The endpoint cannot be opened at all (e.g. no such serial device): its devices deliver
            // nothing and go "lost" through their stale time; the error was logged at start.
            while !stopRequested.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.05) }
            return
        }
        let pollers = devices.map { DevicePoller(map: $0.map, client: client) }
        var due = [Seconds](repeating: clock.now, count: devices.count)
        while !stopRequested.load(ordering: .acquiring) {
            let now = clock.now
            for index in devices.indices where now >= due[index] {
                client.unit = devices[index].unit
                let outcome = pollers[index].poll()
                deliver(devices[index].id, outcome.readings, clock.now)
                due[index] += devices[index].period
                if due[index] < clock.now { due[index] = clock.now + devices[index].period }   // fell behind: no burst
            }
            let wait = min(0.05, max(0, (due.min() ?? now + 0.05) - clock.now))
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
    }
}
