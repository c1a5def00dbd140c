import FaceLayouts
import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import Logging
import ServiceSupport
@testable import SiteRuntime
import Synchronization
import Testing

/// The wall clock is only for what is recorded and for local-time features: a clock set back or
/// forward by an hour (NTP on a device without a real-time clock) must not stop control, delay a
/// failsafe or make the timer catch up in a burst.
@Suite("Wall clock jumps")
struct WallClockJumpTests {
    @Test func controlAndFailsafeKeepTheirCadenceWhenTheWallClockJumps() throws {
        let configuration = try Configuration.parse("""
            chargers:
              - { id: t, min_current: 6, max_current: 16, failsafe_current: 8, failsafe_timeout_s: 1, modbus: { port: 1 } }
            """, file: "t.yaml")
        let logger = Logger(label: "test")
        let clock = MonotonicSeconds()
        let offset = Mutex<Double>(0)
        let wall: @Sendable () -> Double = { Date().timeIntervalSince1970 + offset.withLock { $0 } }
        let layout = try FaceLayout.load(file: TestPaths.root.appendingPathComponent("Mappings/modbus/evc08.yaml").path)
        let point = ChargerPoint(config: configuration.chargers[0], layouts: [layout], clock: clock, logger: logger)
        let driver = StatusDriver()
        let control = try SiteControl(configuration: configuration, chargers: [point], drivers: [driver], logger: logger,
                                      now: clock.now, wallClock: wall)
        let steps = Atomic<Int>(0)
        let timer = WorkerThread(name: "test timer", period: 0.05) {
            control.step(now: clock.now)
            steps.add(1, ordering: .relaxed)
        }
        timer.start()
        defer { timer.stop() }

        // a master takes over: 12 A while alive
        #expect(point.write(face: 0, address: 5004, values: [12]) == nil)
        #expect(point.write(face: 0, address: 6000, values: [1]) == nil)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(point.snapshot.decision == SetpointDecision(amperes: 12, reason: .ems))

        // the wall clock goes back an hour, the master goes silent: failsafe still after 1 s
        var before = steps.load(ordering: .relaxed)
        offset.withLock { $0 = -3600 }
        Thread.sleep(forTimeInterval: 1.5)
        var taken = steps.load(ordering: .relaxed) - before
        #expect((15...40).contains(taken), "\(taken) steps in 1.5 s at 50 ms")
        #expect(point.snapshot.decision == SetpointDecision(amperes: 8, reason: .failsafe))
        #expect(point.drops == 1)

        // forward by an hour: no burst of catch-up steps, alive works again at once
        before = steps.load(ordering: .relaxed)
        offset.withLock { $0 = 3600 }
        #expect(point.write(face: 0, address: 6000, values: [1]) == nil)
        Thread.sleep(forTimeInterval: 0.5)
        taken = steps.load(ordering: .relaxed) - before
        #expect((5...15).contains(taken), "\(taken) steps in 0.5 s at 50 ms")
        #expect(point.snapshot.decision == SetpointDecision(amperes: 12, reason: .ems))
        #expect(driver.applied.setpoint == 12)
    }
}
