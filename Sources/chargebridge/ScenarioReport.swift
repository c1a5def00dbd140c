import EnergyControl
import Foundation
import Simulation
import SimulatedDevices
import SiteConfiguration

/// Text and JSON renderings of a scenario run.
enum ScenarioReport {
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down)) % 86_400
        return String(format: "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }

    static func textTick(_ tick: SiteSimulator.Tick, ids: [String], zones: [String], startOfDay: Double) -> String {
        let grid = tick.grid.map { String(format: "%6.1f", $0) }.joined(separator: " ")
        let chargers = ids.indices.map { i in
            let phases = tick.evCurrents[i].filter { $0 > 0.1 }.count
            return "\(ids[i]) \(tick.setpoints[i]) A×\(max(phases, 0))p (\(tick.reasons[i].rawValue))"
        }.joined(separator: ", ")
        // zone: highest phase current and load-management state (1 available … 5 unavailable)
        let zoneText = zip(zones, zip(tick.zoneCurrents, tick.zoneStates)).map { id, value in
            String(format: "%@ %.0f A s%d", id, value.0.max() ?? 0, value.1.rawValue)
        }.joined(separator: ", ")
        let zonePart: String = zones.isEmpty ? "" : "zones [\(zoneText)]  "
        return "\(clock(startOfDay + tick.time))  PV \(String(format: "%5.0f", tick.pvWatts)) W  house \(String(format: "%5.0f", tick.houseWatts)) W  grid A [\(grid)]  \(zonePart)\(chargers)"
    }

    static func jsonTick(_ tick: SiteSimulator.Tick, ids: [String], zones: [String]) -> String {
        let grid = tick.grid.map { String(format: "%.3f", $0) }.joined(separator: ",")
        let evs = ids.indices.map { i in
            let currents = tick.evCurrents[i].map { String(format: "%.2f", $0) }.joined(separator: ",")
            return "{\"id\":\"\(ids[i])\",\"setpoint\":\(tick.setpoints[i]),\"reason\":\"\(tick.reasons[i].rawValue)\",\"currents\":[\(currents)]}"
        }.joined(separator: ",")
        let zoneJSON = zip(zones, zip(tick.zoneCurrents, tick.zoneStates)).map { id, value in
            "{\"id\":\(ReadingFormatter.jsonString(id)),\"currents\":[\(value.0.map { String(format: "%.2f", $0) }.joined(separator: ","))],\"state\":\(value.1.rawValue)}"
        }.joined(separator: ",")
        return "{\"t\":\(tick.time),\"pv_w\":\(Int(tick.pvWatts)),\"house_w\":\(Int(tick.houseWatts)),\"grid\":[\(grid)],\"chargers\":[\(evs)],\"zones\":[\(zoneJSON)]}"
    }

    static func summaryFields(_ summary: SiteSimulator.Summary) -> [(String, String)] {
        func list(_ values: [Double]) -> String { "[" + values.map { String(format: "%.2f", $0) }.joined(separator: ",") + "]" }
        return [
            ("simulated_s", String(format: "%.0f", summary.simulatedSeconds)),
            ("max_grid_current_a", list(summary.maxGridCurrent)),
            ("seconds_above_fuse", list(summary.secondsAboveFuse)),
            ("longest_above_fuse_s", String(format: "%.2f", summary.longestAboveFuse)),
            ("ev_energy_wh", String(format: "%.0f", summary.evEnergyWh)),
            ("ev_energy_from_pv_wh", String(format: "%.0f", summary.evEnergyFromPVWh)),
            ("ev_energy_from_grid_wh", String(format: "%.0f", summary.evEnergyFromGridWh)),
            ("pv_energy_wh", String(format: "%.0f", summary.pvEnergyWh)),
            ("phase_switches", "\(summary.phaseSwitches)"),
            ("starts", "\(summary.starts)"),
            ("stops", "\(summary.stops)"),
            ("setpoint_violations", "\(summary.setpointViolations)"),
            ("cooldown_violations", "\(summary.cooldownViolations)"),
            ("zone_max_current_a", object(summary.zoneMaxCurrent)),
            ("seconds_above_zone_limit", object(summary.secondsAboveZoneLimit)),
            ("longest_above_zone_limit_s", object(summary.longestAboveZoneLimit)),
            ("refused_events", "[" + summary.refusedEvents.map(ReadingFormatter.jsonString).joined(separator: ",") + "]"),
        ]
    }

    /// A JSON object of zone id → number, in id order.
    static func object(_ values: [String: Double]) -> String {
        "{" + values.keys.sorted().map { "\(ReadingFormatter.jsonString($0)):\(String(format: "%.2f", values[$0]!))" }.joined(separator: ",") + "}"
    }

    static func json(_ scenario: SiteScenario, _ summary: SiteSimulator.Summary, ticks: [String], wallSeconds: Double) -> String {
        let fields = summaryFields(summary).map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        let speed = String(format: "%.0f", summary.simulatedSeconds / max(wallSeconds, 1e-9))
        return "{\"scenario\":\(ReadingFormatter.jsonString(scenario.name)),\"summary\":{\(fields),\"simulated_seconds_per_wall_second\":\(speed)},\"ticks\":[\(ticks.joined(separator: ","))]}"
    }

    static func text(_ scenario: SiteScenario, _ summary: SiteSimulator.Summary, wallSeconds: Double) -> String {
        var lines = ["", "summary of \"\(scenario.name)\":"]
        for (name, value) in summaryFields(summary) { lines.append("  \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(value)") }
        lines.append(String(format: "  %@ %.0f (%.2f s wall)", "simulated s per wall s".padding(toLength: 24, withPad: " ", startingAt: 0),
                            summary.simulatedSeconds / max(wallSeconds, 1e-9), wallSeconds))
        return lines.joined(separator: "\n")
    }
}
