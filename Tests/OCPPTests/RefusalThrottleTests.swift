import OCPP
import Testing

@Suite("OCPP refusal throttle")
struct RefusalThrottleTests {
    /// A client that asks again as soon as it is answered: when each answer comes.
    static func answers(_ throttle: inout RefusalThrottle, _ source: String, count: Int, kind: RefusalThrottle.Kind = .wrongPassword) -> [Double] {
        var now = 0.0, times: [Double] = []
        for _ in 0..<count {
            guard !throttle.turnsAway(source, now: now) else { break }
            now += throttle.attempt(source, .refused(kind), now: now).delay
            times.append(now)
        }
        return times
    }

    @Test func eachRefusalDoublesTheWaitUpTo10Seconds() {
        var throttle = RefusalThrottle()
        let times = Self.answers(&throttle, "10.0.0.9", count: 8)
        #expect(times == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 25.5, 35.5])
    }

    @Test func aSuccessIsAnsweredAfterTheWaitAndForgetsTheSource() {
        var throttle = RefusalThrottle()
        _ = Self.answers(&throttle, "10.0.0.9", count: 3)       // the next answer is due at 3.5
        let success = throttle.attempt("10.0.0.9", .admitted, now: 2)
        #expect(success.delay == 1.5 && success.logCount == nil, "no faster answer when the password is right")
        #expect(throttle.sourceCount == 0)
        #expect(throttle.attempt("10.0.0.9", .refused(.wrongPassword), now: 2.1).delay == 0, "forgotten")
    }

    @Test func aQuietMinuteForgetsTheSource() {
        var throttle = RefusalThrottle()
        _ = Self.answers(&throttle, "10.0.0.9", count: 6)       // last refusal at 15.5, the next due at 25.5
        #expect(throttle.attempt("10.0.0.9", .refused(.wrongPassword), now: 16).delay == 9.5)
        #expect(throttle.attempt("10.0.0.9", .refused(.wrongPassword), now: 16 + 60).delay == 0)
    }

    @Test func otherSourcesAreNotSlowed() {
        var throttle = RefusalThrottle()
        _ = Self.answers(&throttle, "10.0.0.9", count: 5)
        #expect(throttle.attempt("10.0.0.10", .admitted, now: 1).delay == 0)
        #expect(throttle.attempt("10.0.0.11", .refused(.unknownId), now: 1).delay == 0)
    }

    @Test func parallelAttemptsQueueAndTheRestIsTurnedAwayUnchecked() {
        var throttle = RefusalThrottle()
        var delays: [Double] = [], turnedAway = 0
        for _ in 0..<1_000 {
            if throttle.turnsAway("10.0.0.9", now: 0) {
                #expect(throttle.attempt("10.0.0.9", .refused(.tooMany), now: 0).tooMany)
                turnedAway += 1
            } else {
                delays.append(throttle.attempt("10.0.0.9", .refused(.unknownId), now: 0).delay)
            }
        }
        #expect(delays == [0, 0.5, 1.5, 3.5, 7.5], "answered one after the other, none later than 10 s")
        #expect(turnedAway == 995)
    }

    @Test func oneLogLinePerKindAndMinuteWithTheCount() {
        var throttle = RefusalThrottle()
        var lines: [(RefusalThrottle.Kind, Int)] = []
        for second in 0..<150 {
            for index in 0..<10 {
                let kind: RefusalThrottle.Kind = index % 2 == 0 ? .unknownId : .wrongPassword
                // many sources, so nothing is turned away
                if let count = throttle.attempt("10.0.\(second).\(index)", .refused(kind), now: Double(second)).logCount { lines.append((kind, count)) }
            }
        }
        #expect(lines.map(\.0) == [.unknownId, .wrongPassword, .unknownId, .wrongPassword, .unknownId, .wrongPassword])
        #expect(lines.map(\.1) == [1, 1, 300, 300, 300, 300], "the first at once, then each minute's count")
    }

    @Test func theTableOfSourcesIsBoundedAndTheOldestGoes() {
        var rules = RefusalThrottle.Rules()
        rules.maxSources = 1_024
        var throttle = RefusalThrottle(rules: rules)
        for index in 0..<5_000 { _ = throttle.attempt("source-\(index)", .refused(.unknownId), now: Double(index) * 0.001) }
        #expect(throttle.sourceCount == 1_024)
        #expect(throttle.attempt("source-4999", .refused(.unknownId), now: 5).delay > 0, "the newest is remembered")
        #expect(throttle.attempt("source-0", .refused(.unknownId), now: 5).delay == 0, "the oldest went")
    }
}
