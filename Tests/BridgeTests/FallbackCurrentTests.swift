import FaceLayouts
import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import Logging
import RegisterMaps
import ServiceSupport
@testable import SiteRuntime
import Testing

/// What a charger is told to fall back to on its own, and where it is left at shutdown: never
/// more than load management, the operator or its own limits allow, never a current between 0 and
/// its minimum.
@Suite("Fallback currents")
struct FallbackCurrentTests {
    struct Site {
        let control: SiteControl
        let drivers: [StatusDriver]
    }

    func site(_ yaml: String, watchdog: Seconds? = 20) throws -> Site {
        let configuration = try Configuration.parse(yaml, file: "c.yaml")
        let logger = Logger(label: "test")
        let layout = try FaceLayout.load(file: TestPaths.root.appendingPathComponent("Mappings/modbus/evc08.yaml").path)
        let points = configuration.chargers.map { ChargerPoint(config: $0, layouts: [layout], clock: MonotonicSeconds(), logger: logger) }
        let drivers = configuration.chargers.map { _ in StatusDriver(failsafeTimeout: watchdog) }
        let control = try SiteControl(configuration: configuration, chargers: points, drivers: drivers, logger: logger, now: 0)
        return Site(control: control, drivers: drivers)
    }

    static let twoChargers = """
        load_management: { zones: [ { id: z, limit_a: 40 } ] }
        chargers:
          - { id: a, zone: z, min_current: 6, max_current: 32, failsafe_current: 32, modbus: { port: 1 } }
          - { id: b, zone: z, min_current: 6, max_current: 32, failsafe_current: 32, modbus: { port: 2 } }
        """

    @Test func theOperatorsLimitAndDisableReachTheFallback() throws {
        let site = try site(Self.twoChargers)
        site.control.step(now: 1)
        #expect(site.drivers[0].pushed.last == 20)        // 40 A ÷ (2 × 6 A) → 6 × 3.33 = 20 A
        _ = try site.control.execute(.currentLimit, id: "a", .amperes(10))
        site.control.step(now: 2)
        #expect(site.drivers[0].pushed.last == 10)        // a charger limited to 10 A does not fall back to 20 A
        _ = try site.control.execute(.enable, id: "a", .flag(false))
        site.control.step(now: 3)
        #expect(site.drivers[0].pushed.last == 0)         // nor does a disabled one resume when the bridge dies
        #expect(site.drivers[1].pushed.last == 20)
    }

    @Test func aChargerWithoutItsOwnWatchdogIsLeftAtItsFallbackNotItsFaceCurrent() throws {
        let site = try site(Self.twoChargers, watchdog: nil)
        site.control.step(now: 1)
        #expect(site.drivers[0].pushed.isEmpty)           // nothing to push into
        site.control.leaveSafe()
        // the face's failsafe current is 32 A, but the static 40 A zone leaves each 20 A without the bridge
        #expect(site.drivers.map(\.applied.setpoint) == [20, 20])
    }

    @Test func underAMeasuredFuseChargersAreLeftStopped() throws {
        let site = try site("""
            site: { grid_meter: grid, fuse_a: 20 }
            meters: [ { id: grid, map: pac2200, tcp: "127.0.0.1:1" } ]
            chargers:
              - { id: a, min_current: 6, max_current: 32, failsafe_current: 32, modbus: { port: 1 } }
            """, watchdog: nil)
        site.control.step(now: 1)
        site.control.leaveSafe()
        #expect(site.drivers[0].applied.setpoint == 0)    // nobody watches the fuse once the bridge has stopped
    }

    @Test func fallbackCurrentsBetweenZeroAndTheMinimumAreRefused() throws {
        func error(_ yaml: String) -> DataFileError? {
            do { _ = try Configuration.parse(yaml, file: "c.yaml"); return nil } catch { return error }
        }
        let own = try #require(error("""
            chargers: [ { id: a, min_current: 6, max_current: 16, disconnected_limit_a: 5, modbus: { port: 1 } } ]
            """))
        #expect(own.field == "chargers[0].disconnected_limit_a" && own.message.contains("min_current"))
        let zone = try #require(error("""
            load_management: { zones: [ { id: z, limit_a: 32, offline_current_a: 4 } ] }
            chargers: [ { id: a, zone: z, min_current: 6, max_current: 16, modbus: { port: 1 } } ]
            """))
        #expect(zone.field == "chargers[0].zone" && zone.message.contains("min_current"))
        #expect(error("""
            load_management: { zones: [ { id: z, limit_a: 32, offline_current_a: 0 } ] }
            chargers: [ { id: a, zone: z, min_current: 6, max_current: 16, disconnected_limit_a: 0, modbus: { port: 1 } } ]
            """) == nil)
    }
}
