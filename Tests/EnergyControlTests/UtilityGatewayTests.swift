import EnergyControl
import Testing

/// The utility's limit from a gateway's register: followed while the heartbeat moves; the failsafe
/// limit when it stops, when the register cannot be read, or at once on a bad value; back only
/// once the heartbeat moved again. Time is a parameter: no sleeping.
@Suite("Utility gateway")
struct UtilityGatewayTests {
    static func gateway(heartbeat: Bool = true, failsafeKW: Double? = nil) -> UtilityGateway {
        var settings = UtilityGateway.Settings()
        settings.wattsPerCount = 100          // the register counts 0.1 kW
        settings.noLimit = 65535
        settings.heartbeat = heartbeat
        settings.timeout = 10
        settings.failsafeW = failsafeKW.map { $0 * 1000 }
        return UtilityGateway(settings: settings, now: 0)
    }

    @Test func theLimitIsFollowedWhileTheHeartbeatMoves() {
        var gateway = Self.gateway()
        #expect(gateway.limitInForceW(floorW: 4200) == nil)                         // nothing read yet: no limit
        #expect(gateway.observe(limit: .number(110), heartbeat: .number(1), now: 1) == nil)
        #expect(gateway.limitInForceW(floorW: 4200) == 11_000)
        for second in 2...30 {
            #expect(gateway.observe(limit: .number(80), heartbeat: .number(Double(second)), now: Double(second)) == nil)
        }
        #expect(gateway.limitInForceW(floorW: 4200) == 8000)
        #expect(gateway.observe(limit: .number(65535), heartbeat: .number(31), now: 31) == nil)
        #expect(gateway.limitInForceW(floorW: 4200) == nil, "65535 means no limit")
        #expect(!gateway.isFailsafe && gateway.failsafeEntries == 0)
    }

    @Test func aStoppedHeartbeatGivesTheFailsafeUntilItMovesAgain() {
        var gateway = Self.gateway(failsafeKW: 5)
        _ = gateway.observe(limit: .number(110), heartbeat: .number(7), now: 1)
        // the same heartbeat for 10 s is still alive; a moment later it is not
        #expect(gateway.observe(limit: .number(110), heartbeat: .number(7), now: 11) == nil)
        #expect(gateway.observe(limit: .number(110), heartbeat: .number(7), now: 11.5) == .failsafe(reason: "the heartbeat did not change for 10 s"))
        #expect(gateway.limitInForceW(floorW: 4200) == 5000)
        #expect(gateway.tick(now: 20) == nil, "entered once")
        // a new limit alone does not prove the gateway alive
        #expect(gateway.observe(limit: .number(120), heartbeat: .number(7), now: 21) == nil)
        #expect(gateway.limitInForceW(floorW: 4200) == 5000)
        #expect(gateway.observe(limit: .number(120), heartbeat: .number(8), now: 22) == .recovered)
        #expect(gateway.limitInForceW(floorW: 4200) == 12_000)
        #expect(gateway.failsafeEntries == 1)
    }

    @Test func theFailsafeIsTheFloorUnlessConfigured() {
        var gateway = Self.gateway()
        #expect(gateway.tick(now: 10.5) == .failsafe(reason: "the heartbeat did not change for 10 s"))
        #expect(gateway.limitInForceW(floorW: 7560) == 7560)
    }

    @Test func aBadValueGivesTheFailsafeAtOnce() {
        for bad in [-5.0, 200_000, .nan, .infinity] {
            var gateway = Self.gateway()
            _ = gateway.observe(limit: .number(110), heartbeat: .number(1), now: 1)
            let change = gateway.observe(limit: .number(bad), heartbeat: .number(2), now: 2)
            #expect(change.map { if case .failsafe = $0 { true } else { false } } == true, "\(bad)")
            #expect(gateway.limitInForceW(floorW: 4200) == 4200)
            #expect(gateway.limitW == 11_000, "the bad value is not taken")
            // a good value again, and the heartbeat moves on: the limit holds again
            #expect(gateway.observe(limit: .number(90), heartbeat: .number(2), now: 3) == nil)
            #expect(gateway.observe(limit: .number(90), heartbeat: .number(3), now: 4) == .recovered)
            #expect(gateway.limitInForceW(floorW: 4200) == 9000)
        }
        var gateway = Self.gateway()
        #expect(gateway.observe(limit: .invalid("not available"), heartbeat: .number(1), now: 1)
            == .failsafe(reason: "the limit register holds no value (not available)"))
    }

    @Test func anUnreadableRegisterGivesTheFailsafeAfterTheTimeout() {
        var gateway = Self.gateway(heartbeat: false)
        #expect(gateway.observe(limit: .number(110), heartbeat: nil, now: 1) == nil)
        #expect(gateway.observe(limit: .unreadable("timeout"), heartbeat: nil, now: 5) == nil)
        #expect(gateway.limitInForceW(floorW: 4200) == 11_000, "a failed read keeps the limit for a while")
        #expect(gateway.observe(limit: .unreadable("timeout"), heartbeat: nil, now: 11.5)
            == .failsafe(reason: "the limit register could not be read for 10 s (timeout)"))
        // without a heartbeat register a good read is enough to come back
        #expect(gateway.observe(limit: .number(110), heartbeat: nil, now: 12) == .recovered)
    }

    @Test func aGatewayNeverReadGivesTheFailsafe() {
        var gateway = Self.gateway(heartbeat: false)
        #expect(gateway.tick(now: 9) == nil)
        #expect(gateway.tick(now: 10.1) == .failsafe(reason: "no limit read from the gateway in 10 s"))
    }
}
