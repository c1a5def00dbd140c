@testable import MeterReaders
import RegisterMaps
import Testing

/// Meter and input health: unreachable at start, lost, back — each said once, with the reason.
@Suite("Device health")
struct DeviceHealthTests {
    let ok = [Reading(name: "current.l1", unit: "A", value: .success(.number(5))), Reading(name: "frequency", unit: "Hz", value: .success(.number(50)))]
    let timeout = [Reading(name: "current.l1", unit: "A", value: .failure(.readFailed("no answer (timeout)"))),
                   Reading(name: "frequency", unit: "Hz", value: .failure(.readFailed("no answer (timeout)")))]
    let absurd = [Reading(name: "current.l1", unit: "A", value: .failure(.outOfRange(1e9))), Reading(name: "frequency", unit: "Hz", value: .success(.number(50)))]
    let noFrequency = [Reading(name: "current.l1", unit: "A", value: .success(.number(5))), Reading(name: "frequency", unit: "Hz", value: .failure(.notAvailable))]
    let needsCurrents: (String) -> Bool = { $0.hasPrefix("current.") }

    @Test func theReasonIsTheFirstMissingValueTheLoopsNeed() {
        #expect(DeviceHealth.problem(ok, needs: needsCurrents) == nil)
        #expect(DeviceHealth.problem(timeout, needs: needsCurrents) == "no answer (timeout)")
        #expect(DeviceHealth.problem(absurd, needs: needsCurrents) == "current.l1: implausible value 1000000000.0")
        #expect(DeviceHealth.problem(noFrequency, needs: needsCurrents) == nil)        // not needed by the loops
    }

    @Test func changesAreSaidOnceWithTheirReason() {
        var health = DeviceHealth()
        #expect(health.observe(problem: "no answer (timeout)")?.text == "does not answer as expected: no answer (timeout)")
        #expect(health.observe(problem: "no answer (timeout)") == nil)
        #expect(health.observe(problem: nil)?.text == "answers again")
        #expect(health.observe(problem: nil) == nil)
        #expect(health.observe(problem: "current.l1: implausible value 1e9") == nil)      // one bad poll is not a loss
        let lost = health.observe(problem: "current.l1: implausible value 1e9")
        #expect(lost?.warning == true && lost?.text == "lost: current.l1: implausible value 1e9")
        var fresh = DeviceHealth()
        #expect(fresh.observe(problem: nil)?.text == "online")
    }
}
