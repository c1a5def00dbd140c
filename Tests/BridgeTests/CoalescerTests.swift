import Foundation
import ServiceSupport
import Testing

@Suite("Coalescer")
struct CoalescerTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    /// The MQTT error replies' rule: one per key and second, the next one counts those held back.
    @Test func onePerKeyAndIntervalAndTheNextCountsTheRest() {
        let replies = Coalescer(interval: 1)
        #expect(replies.admit("a", at: t0) == 0)
        for step in 1...9 { #expect(replies.admit("a", at: t0.addingTimeInterval(Double(step) / 10)) == nil) }
        #expect(replies.admit("b", at: t0.addingTimeInterval(0.5)) == 0)   // keys are independent
        #expect(replies.admit("a", at: t0.addingTimeInterval(1)) == 9)
        #expect(replies.admit("a", at: t0.addingTimeInterval(5)) == 0)
    }

    /// 2 000 connects and disconnects in a burst: one line each at once, the counts when the
    /// interval is over, not only with a next connect that may never come.
    @Test func aFloodThatStopsHasItsCountFlushedOnceItsIntervalIsOver() {
        var rule = CoalescingRule(interval: 10)
        var lines = 0
        for cycle in 0..<2_000 {
            let now = t0.addingTimeInterval(Double(cycle) / 1_000)
            if rule.admit("connected", at: now) != nil { lines += 1 }
            if rule.admit("disconnected", at: now) != nil { lines += 1 }
        }
        #expect(lines == 2)
        #expect(rule.flush(now: t0.addingTimeInterval(9.9)).isEmpty)   // the interval is not over
        let flushed = rule.flush(now: t0.addingTimeInterval(10))
        #expect(flushed.map(\.key) == ["connected", "disconnected"] && flushed.map(\.held) == [1_999, 1_999])
        #expect(rule.flush(now: t0.addingTimeInterval(30)).isEmpty)   // told once
        // a flush counts as a line: the next one within the interval is held back, then flushed
        #expect(rule.admit("connected", at: t0.addingTimeInterval(15)) == nil)
        #expect(rule.flush(now: t0.addingTimeInterval(19)).isEmpty)
        #expect(rule.flush(now: t0.addingTimeInterval(20)).map(\.held) == [1])
        #expect(rule.admit("connected", at: t0.addingTimeInterval(40)) == 0)
    }

    /// Keys from the network are bounded, but a flood of new keys does not erase a held count.
    @Test func manyNewKeysKeepTheHeldCounts() {
        let log = Coalescer(interval: 10)
        #expect(log.admit("refused", at: t0) == 0)
        for step in 1...5 { #expect(log.admit("refused", at: t0.addingTimeInterval(Double(step))) == nil) }
        for key in 0..<300 { _ = log.admit("peer \(key)", at: t0.addingTimeInterval(6)) }
        #expect(log.flush(now: t0.addingTimeInterval(10)).first { $0.key == "refused" }?.held == 5)
    }

    @Test func nothingHeldNothingFlushed() {
        var rule = CoalescingRule(interval: 1)
        #expect(rule.admit("a", at: t0) == 0)
        #expect(rule.flush(now: t0.addingTimeInterval(5)).isEmpty)
        let shared = Coalescer(interval: 1)
        #expect(shared.admit("a", at: t0) == 0 && shared.admit("a", at: t0) == nil)
        #expect(shared.flush(now: t0.addingTimeInterval(1)).map(\.held) == [1])
    }
}
