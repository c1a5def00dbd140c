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
}
