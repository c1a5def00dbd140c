@testable import ChargerDrivers
import ControlCore
import EnergyControl
import FaceLayouts
import Foundation
import Logging
@testable import NorthboundMQTT
import RegisterMaps
import ServiceConfiguration
import ServiceSupport
@testable import SiteRuntime
import Testing

/// Prices and plans between the MQTT payloads, the configuration and the control core: a plan is
/// one more cap (never above another limit), a forced charge overrides it, bad input changes nothing.
@Suite("Charging plans in the service")
struct ChargePlanWiringTests {
    static let midnight = 1_796_000_000.0 - 1_796_000_000.0.truncatingRemainder(dividingBy: 86_400)

    static func prices(_ values: [Double]) -> [UInt8] {
        Array(("[" + values.enumerated().map { "{\"start\": \(Int(midnight) + $0.offset * 3600), \"price\": \($0.element)}" }
            .joined(separator: ",") + "]").utf8)
    }

    @Test func priceSeriesArriveAsJSONAndEveryMistakeIsNamed() throws {
        let good = PricePayload.decode(Self.prices([0.3, 0.1]), slotMinutes: 60)
        #expect((try? good.get())?.slots.map(\.price) == [0.3, 0.1])
        let iso = PricePayload.decode(Array(#"[{"start": "2026-12-04T00:00:00+01:00", "end": "2026-12-04T00:15:00+01:00", "price": 0.2, "co2": 120}]"#.utf8), slotMinutes: 15)
        #expect((try? iso.get())?.slots.first?.start == PricePayload.time("2026-12-03T23:00:00Z"))
        let cases: [(String, Int, String)] = [
            ("{}", 60, "expected a JSON array"),
            (#"[{"start": 0, "price": "x"}]"#, 60, "entry 0: price"),
            (#"[{"start": 0}]"#, 60, "entry 0: price"),
            (#"[{"start": "yesterday", "price": 1}]"#, 60, "entry 0: start must be ISO 8601"),
            (#"[{"start": 0, "price": 1, "cost": 2}]"#, 60, "unknown key cost"),
            (#"[{"start": 0, "end": 3600, "price": 1}]"#, 15, "lasts 60 min"),
            (#"[{"start": 3600, "price": 1}, {"start": 0, "price": 1}]"#, 60, "entry 1 starts before"),
            ("[]", 60, "the series is empty"),
        ]
        for (text, minutes, reason) in cases {
            guard case .failure(let problem) = PricePayload.decode(Array(text.utf8), slotMinutes: minutes) else { Issue.record("accepted \(text)"); continue }
            #expect(problem.description.contains(reason), "\(problem)")
        }
        #expect(PricePayload.decode([UInt8](repeating: 32, count: PricePayload.maxBytes + 1), slotMinutes: 60).failure?.description.contains("at most") == true)
    }

    @Test func planPayloadsAreParsedOrRejectedWithAReason() {
        func parse(_ text: String) -> Result<CommandValue, CommandRejection> { CommandPayload.parse(.plan, Array(text.utf8), maxLength: 256) }
        #expect(parse(#"{"energy_kwh": 20, "departure": "2026-12-04T07:00:00+01:00"}"#)
                == .success(.plan(PlanCommand(goal: .energy(kWh: 20), departure: PricePayload.time("2026-12-04T06:00:00Z")!))))
        #expect(parse(#"{"target_kwh": 40, "departure": 1796000000, "optimise": "co2"}"#)
                == .success(.plan(PlanCommand(goal: .target(kWh: 40), departure: 1_796_000_000, objective: .co2))))
        #expect(parse("clear") == .success(.plan(nil)))
        let rejected = [
            (#"{"energy_kwh": 20}"#, "expected {"), (#"{"energy_kwh": 20, "target_kwh": 30, "departure": 0}"#, "one of energy_kwh and target_kwh"),
            (#"{"energy_kwh": -1, "departure": 0}"#, "more than 0"), (#"{"energy_kwh": 900, "departure": 0}"#, "at most 500"),
            (#"{"energy_kwh": 5, "departure": "tomorrow"}"#, "departure must be ISO 8601"),
            (#"{"energy_kwh": 5, "departure": 0, "optimise": "speed"}"#, "cost or co2"),
            (#"{"energy_kwh": 5, "departure": 0, "soc": 80}"#, "unknown key soc"), ("20", "expected {"),
        ]
        for (text, reason) in rejected {
            guard case .failure(let rejection) = parse(text) else { Issue.record("accepted \(text)"); continue }
            #expect(rejection.description.contains(reason), "\(rejection)")
        }
    }

    @Test func thePricesSectionIsValidatedWithFileAndLine() throws {
        let charger = "chargers: [ { id: cp1, max_current: 16, failsafe_current: 16, modbus: { port: 1 } } ]\n"
        let parsed = try Configuration.parse("prices: { file: /tmp/prices.json, slot_minutes: 15, currency: CHF }\n" + charger, file: "site.yaml")
        #expect(parsed.prices == PriceSettings(source: .file("/tmp/prices.json"), slotMinutes: 15, currency: "CHF"))
        let cases = [
            ("prices: { file: a.json, slot_minutes: 30 }", "15 or 60"), ("prices: { slot_minutes: 15 }", "need a source"),
            ("prices: { file: a.json, mqtt: p }", "not both"), ("prices: { mqtt: prices/# }", "without wildcards"),
            ("prices: { mqtt: prices }", "need the site's broker"), ("prices: { file: a.json, currency: \"€\" }", "currency code"),
            ("prices: { file: a.json, slots: 15 }", "slots"),
        ]
        for (text, reason) in cases {
            do {
                _ = try Configuration.parse(text + "\n" + charger, file: "site.yaml")
                Issue.record("accepted \(text)")
            } catch {
                #expect("\(error)".contains("site.yaml:1") && "\(error)".contains(reason), "\(error)")
            }
        }
    }

    struct Site {
        let control: SiteControl
        let chargers: [ChargerPoint]
        var decision: SetpointDecision { chargers[0].snapshot.decision }
    }

    static func site() throws -> Site {
        // ten minutes into the first hour of the prices
        let site = try SimulatedSite("""
            chargers:
              - { id: cp1, max_current: 16, failsafe_current: 16, modbus: { port: 1 }, simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500 } ] } }
            """, wallClock: { midnight + 600 })
        return Site(control: site.control, chargers: site.chargers)
    }

    @Test func aPlanIsOneMoreCapAndAForcedChargeOverridesIt() throws {
        let site = try Self.site()
        site.control.step(now: 1)
        #expect(site.decision.amperes == 16)
        // dear now, cheap in the third hour: 5 kWh waits
        site.control.setPrices(try PricePayload.decode(Self.prices([0.4, 0.4, 0.1, 0.4]), slotMinutes: 60).get())
        _ = try site.control.execute(.plan, id: "cp1", .plan(PlanCommand(goal: .energy(kWh: 5), departure: Self.midnight + 4 * 3600)))
        site.control.step(now: 2)
        #expect(site.decision == SetpointDecision(amperes: 0, reason: .plan))
        let plan = try #require(site.control.view().chargers[0].plan)
        #expect(plan.reachable && plan.chosen.map(\.price) == [0.1])
        #expect(site.control.view().price == 0.4)
        // a forced charge ignores the plan; cancelled, the plan holds again
        _ = try site.control.execute(.force, id: "cp1", .flag(true))
        site.control.step(now: 3)
        #expect(site.decision.amperes == 16)
        _ = try site.control.execute(.force, id: "cp1", .flag(false))
        site.control.step(now: 4)
        #expect(site.decision == SetpointDecision(amperes: 0, reason: .plan))
        // cheap now: the plan's current, and never above the operator's limit
        site.control.setPrices(try PricePayload.decode(Self.prices([0.1, 0.4, 0.4, 0.4]), slotMinutes: 60).get())
        site.control.step(now: 5)
        #expect(site.decision.reason == .plan && site.decision.amperes >= 6 && site.decision.amperes <= 16)
        _ = try site.control.execute(.currentLimit, id: "cp1", .amperes(6))
        site.control.step(now: 6)
        #expect(site.decision == SetpointDecision(amperes: 6, reason: .operatorLimit))
        // a departure in the past is refused and changes nothing; clearing ends the cap
        #expect(throws: CommandRejection.self) {
            try site.control.execute(.plan, id: "cp1", .plan(PlanCommand(goal: .energy(kWh: 5), departure: Self.midnight)))
        }
        #expect(site.control.view().chargers[0].plan?.neededKWh ?? 0 > 0)
        _ = try site.control.execute(.currentLimit, id: "cp1", .amperes(16))
        _ = try site.control.execute(.plan, id: "cp1", .plan(nil))
        site.control.step(now: 7)
        #expect(site.control.view().chargers[0].plan == nil)
        #expect(site.decision.amperes == 16)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let failure) = self { failure } else { nil } }
}
