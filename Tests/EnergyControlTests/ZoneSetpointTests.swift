import EnergyControl
import Testing

/// A zone's remote setpoint [Schneider EcoStruxure EV Charging Expert user guide §3.11.4]: one
/// controller, a minimum period between changes, a heartbeat, a failsafe limit; time is a number.
@Suite("Zone setpoint with a heartbeat")
struct ZoneSetpointTests {
    func machine() -> ZoneSetpoint {
        ZoneSetpoint(settings: .init(minPeriod: 60, heartbeat: 30, failsafeLimit: [10, 10, 10]), zoneLimit: [63, 63, 63])
    }

    @Test func theZoneRunsOnItsOwnLimitsUntilAControllerSetsOne() {
        var zone = machine()
        #expect(zone.limit == nil && zone.state == .local)
        #expect(zone.heartbeat(controller: "a", now: 1)?.contains("no setpoint yet") == true)
        #expect(zone.tick(now: 1000) == false && zone.limit == nil)
        #expect(zone.set([40, 40, 40], controller: "a", now: 5) == nil)
        #expect(zone.limit == [40, 40, 40] && zone.controller == "a")
    }

    @Test func changesFasterThanTheMinimumPeriodAreRefusedAndChangeNothing() {
        var zone = machine()
        #expect(zone.set([40, 40, 40], controller: "a", now: 0) == nil)
        #expect(zone.set([30, 30, 30], controller: "a", now: 20) == "the setpoint changes at most once every 60 s: next change in 40 s")
        #expect(zone.limit == [40, 40, 40])
        #expect(zone.set([40, 40, 40], controller: "a", now: 20) == nil)          // the same value is a heartbeat, not a change
        #expect(zone.set([30, 30, 30], controller: "a", now: 60) == nil)
        #expect(zone.limit == [30, 30, 30])
    }

    @Test func oneControllerAtATimeAndNeverAboveTheZoneLimit() {
        var zone = machine()
        #expect(zone.set([70, 70, 70], controller: "a", now: 0) == "70 A is above the zone's limit of 63 A")
        #expect(zone.set([.nan, 1, 1], controller: "a", now: 0) != nil)
        #expect(zone.set([20, 20, 20], controller: "a", now: 0) == nil)
        #expect(zone.set([30, 30, 30], controller: "b", now: 100)?.contains("steered by a") == true)
        #expect(zone.heartbeat(controller: "b", now: 10)?.contains("steered by a") == true)
        #expect(zone.limit == [20, 20, 20])
    }

    @Test func silenceLongerThanTheHeartbeatBringsTheFailsafeLimit() {
        var zone = machine()
        #expect(zone.set([40, 40, 40], controller: "a", now: 0) == nil)
        #expect(zone.heartbeat(controller: "a", now: 25) == nil)
        #expect(zone.tick(now: 55) == false)                          // 30 s after the heartbeat: not yet
        #expect(zone.tick(now: 55.1) == true)
        #expect(zone.limit == [10, 10, 10] && zone.state == .failsafe(since: 55.1))
        #expect(zone.tick(now: 200) == false)                         // entered once
        // another controller may take over after the silence
        #expect(zone.set([30, 30, 30], controller: "b", now: 201) == nil)
        #expect(zone.limit == [30, 30, 30] && zone.controller == "b")
    }
}
