import Foundation
import Testing

/// Dynamic prices and a charging plan end to end: prices over a real Mosquitto broker, a plan set
/// over MQTT, and the simulated charger charging in the cheap slot or waiting for it.
@Suite("Charging plans over MQTT")
struct ChargePlanTests {
    static let cp1 = "chargebridge/charger/cp1"

    /// 15-minute slots from the current one: `cheap` of them at 0.05 starting `after` slots on, the rest at 0.40.
    static func series(cheapFrom after: Int, count cheap: Int) -> String {
        let first = (Date().timeIntervalSince1970 / 900).rounded(.down) * 900
        let slots = (0..<24).map { slot in
            "{\"start\": \(Int(first) + slot * 900), \"price\": \(slot >= after && slot < after + cheap ? "0.05" : "0.40")}"
        }
        return "[" + slots.joined(separator: ", ") + "]"
    }

    @Test func aPlanChargesInTheCheapSlotAndWaitsForALaterOne() throws {
        let broker = try Broker("test-auth.conf")
        let folder = try TestEnvironment.temporaryFolder()
        let ev = "simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] }"
        let yaml = """
            site: { name: plan test }
            modbus: { bind: 127.0.0.1 }
            mqtt: \(broker.bridgeSettings)
            prices: { mqtt: test/prices, slot_minutes: 15, currency: EUR }
            chargers:
              - { id: cp1, max_current: 16, failsafe_current: 16, modbus: { port: \(try TestEnvironment.freePort()) }, \(ev) }
            """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
        defer { bridge.stop() }
        try bridge.waitFor("MQTT connected")
        try broker.waitFor("\(Self.cp1)/status", equal: "charging")
        let errors = try broker.subscriber(["chargebridge/error"])
        defer { errors.stop() }

        // the current slot and the next are cheap: a plan of 0.5 kWh charges now, at the plan's current
        try broker.publish("test/prices", Self.series(cheapFrom: 0, count: 2), retain: true)
        try broker.waitFor("chargebridge/site/price", equal: "0.0500")
        let departure = ISO8601DateFormatter().string(from: Date().addingTimeInterval(4 * 3600))
        try broker.publish("\(Self.cp1)/plan/set", "{\"energy_kwh\": 0.5, \"departure\": \"\(departure)\"}")
        let plan = try broker.waitFor("\(Self.cp1)/plan") { $0.contains("\"reachable\":true") }
        #expect(plan.contains("\"currency\":\"EUR\"") && plan.contains("\"expected_kwh\":0.5"), "\(plan)")
        try broker.waitFor("\(Self.cp1)/setpoint") { Int($0).map { $0 >= 6 } == true }
        try broker.waitFor("\(Self.cp1)/current_l1") { Double($0).map { $0 >= 5.9 } == true }

        // the cheap slots are three hours away: it waits for them
        try broker.publish("test/prices", Self.series(cheapFrom: 12, count: 2), retain: true)
        try broker.waitFor("chargebridge/site/price", equal: "0.4000")
        try broker.waitFor("\(Self.cp1)/reason", equal: "plan")
        try broker.waitFor("\(Self.cp1)/setpoint", equal: "0")
        try broker.waitFor("\(Self.cp1)/current_l1", equal: "0.00")
        let waiting = try broker.retained(["\(Self.cp1)/plan"])["\(Self.cp1)/plan"] ?? ""
        #expect(waiting.contains("\"price\":0.05") && !waiting.contains("\"price\":0.4"), "\(waiting)")

        // a bad price series is refused on the error topic and changes nothing
        try broker.publish("test/prices", "[{\"start\": 0, \"price\": \"cheap\"}]")
        try errors.waitFor("prices: expected a JSON array")
        try broker.publish("chargebridge/charger/cp1/plan/set", "{\"energy_kwh\": 0, \"departure\": \"\(departure)\"}")
        try errors.waitFor("more than 0")
        Thread.sleep(forTimeInterval: 1.1)   // one error reply per command topic and second
        try broker.publish("chargebridge/charger/cp1/plan/set", "{\"energy_kwh\": 5, \"departure\": \"2020-01-01T00:00:00Z\"}")
        try errors.waitFor("not in the future")
        let after = try broker.retained(["\(Self.cp1)/#", "chargebridge/site/price"])
        #expect(after["chargebridge/site/price"] == "0.4000")
        #expect(after["\(Self.cp1)/setpoint"] == "0" && after["\(Self.cp1)/reason"] == "plan")
        #expect(after["\(Self.cp1)/plan"] == waiting)

        // cleared: it charges as before
        try broker.publish("\(Self.cp1)/plan/set", "clear")
        try broker.waitFor("\(Self.cp1)/plan", equal: "None")
        try broker.waitFor("\(Self.cp1)/setpoint", equal: "16")
    }

    @Test func pricesFromAFileAreReadAgainWhenItChangesAndABadFileChangesNothing() throws {
        let broker = try Broker("test-auth.conf")
        let folder = try TestEnvironment.temporaryFolder()
        let prices = folder.appendingPathComponent("prices.json")
        try Self.series(cheapFrom: 0, count: 2).write(to: prices, atomically: true, encoding: .utf8)
        let yaml = """
            site: { name: price file test }
            modbus: { bind: 127.0.0.1 }
            mqtt: \(broker.bridgeSettings)
            prices: { file: \(prices.path), slot_minutes: 15 }
            chargers:
              - { id: cp1, max_current: 16, failsafe_current: 16, modbus: { port: \(try TestEnvironment.freePort()) } }
            """
        let file = folder.appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let bridge = try ManagedProcess(try TestEnvironment.chargebridge, ["run", "--config", file.path])
        defer { bridge.stop() }
        try bridge.waitFor("MQTT connected")
        try broker.waitFor("chargebridge/site/price", equal: "0.0500")
        try "[{\"start\": 0, \"price\": 1}, {\"start\": 60, \"price\": 1}]".write(to: prices, atomically: true, encoding: .utf8)
        try bridge.waitFor("the last prices stay")
        #expect(try broker.retained(["chargebridge/site/price"])["chargebridge/site/price"] == "0.0500")
        try Self.series(cheapFrom: 4, count: 2).write(to: prices, atomically: true, encoding: .utf8)
        try broker.waitFor("chargebridge/site/price", equal: "0.4000", timeout: 30)
    }
}
