import EnergyControl
import Foundation
import ServiceConfiguration
import ServiceSupport

/// A charger's plan as published on `charger/<id>/plan`: the chosen slots (times in UTC, ISO
/// 8601), the energy and cost expected, whether the goal is reachable.
enum PlanView {
    struct Slot: Encodable {
        var start: String
        var end: String
        var amperes: Int
        var kwh: Double
        var price: Double?
    }

    struct Body: Encodable {
        var reachable: Bool
        var needed_kwh: Double
        var expected_kwh: Double
        var expected_cost: Double
        var unknown_price_kwh: Double
        var currency: String
        var departure: String
        var slots: [Slot]
    }

    static func json(_ plan: ChargePlan, currency: String) -> String {
        func rounded(_ value: Double, _ digits: Double = 1000) -> Double { (value * digits).rounded() / digits }
        let body = Body(reachable: plan.reachable, needed_kwh: rounded(plan.neededKWh), expected_kwh: rounded(plan.plannedKWh),
                        expected_cost: rounded(plan.expectedCost, 10_000), unknown_price_kwh: rounded(plan.unknownPriceKWh), currency: currency,
                        departure: PricePayload.text(plan.departure),
                        slots: plan.chosen.map { Slot(start: PricePayload.text($0.start), end: PricePayload.text($0.end), amperes: $0.amperes,
                                                      kwh: rounded($0.energyKWh), price: $0.price) })
        return (try? SortedJSON.text(body)) ?? ""
    }
}
