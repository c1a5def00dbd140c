import ControlCore
import EnergyControl
import Foundation
import ServiceConfiguration

/// A charger's plan as written on `charger/<id>/plan/set`:
/// `{"energy_kwh": 20, "departure": "2026-12-04T07:00:00+01:00"}` (this much more energy) or
/// `{"target_kwh": 60, …}` (the session reaches this), optionally `"optimise": "cost" | "co2"`;
/// `clear` or `none` clears the plan. Whether the departure is in the future is the core's check.
enum PlanPayload {
    static let maxKWh = PlanCommand.mostKWh

    struct Fields: Decodable {
        var energy: Double?
        var target: Double?
        var departure: PricePayload.TimeValue
        var optimise: String?

        enum CodingKeys: String, CodingKey { case energy = "energy_kwh", target = "target_kwh", departure, optimise }

        init(from decoder: any Decoder) throws {
            let unknown = try decoder.container(keyedBy: PricePayload.AnyKey.self).allKeys.map(\.stringValue).filter { CodingKeys(rawValue: $0) == nil }
            if !unknown.isEmpty { throw CommandRejection("unknown key \(unknown.sorted().joined(separator: ", ")) (energy_kwh or target_kwh, departure, optimise)") }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            energy = try container.decodeIfPresent(Double.self, forKey: .energy)
            target = try container.decodeIfPresent(Double.self, forKey: .target)
            departure = try container.decode(PricePayload.TimeValue.self, forKey: .departure)
            optimise = try container.decodeIfPresent(String.self, forKey: .optimise)
        }
    }

    static func parse(_ text: String) -> Result<PlanCommand?, CommandRejection> {
        if ["clear", "none"].contains(text.lowercased()) { return .success(nil) }
        let fields: Fields
        do {
            fields = try JSONDecoder().decode(Fields.self, from: Data(text.utf8))
        } catch let rejection as CommandRejection {
            return .failure(rejection)
        } catch {
            return .failure(CommandRejection("expected {\"energy_kwh\" or \"target_kwh\": kWh, \"departure\": ISO 8601 time} or clear"))
        }
        let goal: PlanCommand.Goal
        switch (fields.energy, fields.target) {
        case (let kWh?, nil): goal = .energy(kWh: kWh)
        case (nil, let kWh?): goal = .target(kWh: kWh)
        default: return .failure(CommandRejection("give one of energy_kwh and target_kwh"))
        }
        let kWh = fields.energy ?? fields.target!
        guard kWh.isFinite, kWh > 0, kWh <= maxKWh else { return .failure(CommandRejection("the energy must be more than 0 and at most \(Int(maxKWh)) kWh")) }
        guard let departure = PricePayload.time(fields.departure) else {
            return .failure(CommandRejection("departure must be ISO 8601 with an offset (2026-12-04T07:00:00+01:00) or Unix seconds"))
        }
        let objective = fields.optimise.flatMap { ChargePlanRequest.Objective(rawValue: $0.lowercased()) }
        if fields.optimise != nil, objective == nil { return .failure(CommandRejection("optimise must be cost or co2")) }
        return .success(PlanCommand(goal: goal, departure: departure, objective: objective ?? .cost))
    }
}
