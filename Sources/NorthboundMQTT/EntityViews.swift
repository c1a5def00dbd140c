import ServiceConfiguration
import ControlCore
import EnergyControl
import Foundation
import SiteRuntime

/// The values of one entity at one moment, keyed by source name (EntityVocabulary). A missing
/// key or a nil value is "no value now".
typealias EntityValues = [String: StateValue?]

/// Builds each entity's values from the control's view and the chargers' snapshots.
enum EntityViews {
    static func charger(_ snapshot: ChargerPoint.Snapshot, _ control: ChargerView, limits: ChargerLimits, currency: String = "EUR") -> EntityValues {
        let status = snapshot.status
        var values: EntityValues = [
            "status": .text(name(of: status.state)), "cable": .text(name(of: status.cable)), "online": .bool(status.online),
            "power": .number(status.totalPower), "energy": .number(status.energyWh),
            "session.energy": .number(status.sessionEnergyWh), "session.duration": .number(status.sessionSeconds),
            "session.id_tag": .text(status.idTag), "setpoint_answer": .text(status.setpointAnswer),
            "profile_way": .text(status.profileWay), "steerable": .bool(status.steerable),
            "setpoint": .number(Double(snapshot.decision.amperes)), "reason": .text(snapshot.reason.rawValue),
            // no energy manager ever steered it: its local state, not a failsafe alarm
            "request": .number(Double(snapshot.request)), "failsafe": .bool(snapshot.alarm),
            "master": .text(snapshot.local ? "local" : snapshot.master ?? ""),
            "mode": .text(control.mode.rawValue), "current_limit": .number(Double(control.currentLimit ?? limits.ceiling)),
            "phases": .number(Double(status.activePhases)), "enabled": .bool(control.enabled), "forced": .bool(control.forced),
        ]
        values["uplink"] = snapshot.uplink.map { .text($0) }
        // the charger's own error (OCPP errorCode) and its vendor's code and text; None without
        values["error"] = status.errorCode.isEmpty ? nil : .text(status.errorCode)
        let vendor = [status.vendorErrorCode, status.errorInfo].filter { !$0.isEmpty }.joined(separator: ": ")
        values["vendor_error"] = vendor.isEmpty ? nil : .text(vendor)
        values["plan"] = control.plan.map { .text(PlanView.json($0, currency: currency)) }
        // a random start delay: when the charger may start (ISO 8601, UTC)
        values["start_at"] = control.startAt.map { .text(ISO8601DateFormatter.string(from: Date(timeIntervalSince1970: $0), timeZone: .gmt,
                                                                                     formatOptions: [.withInternetDateTime])) }
        for phase in 0..<3 {
            values["current.l\(phase + 1)"] = .number(status.currents[phase])
            values["voltage.l\(phase + 1)"] = .number(status.voltages[phase])
        }
        return values
    }

    static func site(_ view: ControlView, evPower: Double) -> EntityValues {
        var values: EntityValues = [
            "power": view.grid.map { .number($0.power) }, "ev_power": .number(evPower),
            "load_shedding": .bool(view.inputs.loadShedding), "enabled": .bool(view.inputs.enabled), "downgrade": .bool(view.inputs.downgrade),
        ]
        values["meter_online"] = view.meterOnline.map { .bool($0) }
        values["off_peak"] = view.offPeak.map { .bool($0) }
        values["tariff"] = view.inputs.tariff.map { .number($0) }
        values["power_limit"] = view.utilityLimitW.map { .number($0 / 1000) }
        values["utility_limited"] = .bool(view.utilityLimitW != nil)
        // a gateway's register: `ok` while its limit is followed, else why its failsafe limit holds
        values["utility_gateway"] = view.utilityGatewayFailsafe.map { .text($0.isEmpty ? "ok" : "failsafe: \($0)") }
        values["price"] = view.price.map { .number($0) }
        for phase in 0..<3 { values["current.l\(phase + 1)"] = view.grid.map { .number($0.currents[phase]) } }
        return values
    }

    static func zone(_ report: ZoneReport, limit: [Double], operatorLimit: [Double]?, setpoint: ZoneSetpoint? = nil) -> EntityValues {
        var values: EntityValues = [
            "state": .number(Double(report.state.rawValue)), "mode": .text(report.mode.rawValue), "percent": .number(report.percent),
            "operator_limit": .text(format(limit: operatorLimit ?? limit)),
        ]
        // a zone that takes a remote setpoint: the limit in force, local/remote/failsafe, and who steers
        if let setpoint {
            values["setpoint"] = .text(setpoint.limit.map(format(limit:)) ?? "none")
            values["setpoint_state"] = .text(setpoint.state.name)
            values["setpoint_controller"] = .text(setpoint.controller ?? "none")
        }
        values["phases"] = .text(phaseJSON(report.phases))
        values["next_to_pause"] = report.nextToPause.map { .text($0) }
        values["next_to_resume"] = report.nextToResume.map { .text($0) }
        for phase in 0..<3 {
            values["available.l\(phase + 1)"] = .number(report.available[phase])
            values["allocated.l\(phase + 1)"] = .number(report.allocated[phase])
        }
        return values
    }

    static func input(_ input: Configuration.Input, active: Bool?) -> EntityValues {
        ["active": active.map { .bool($0) }, "role": .text(input.role.rawValue), "source": .text(input.source.kind)]
    }

    /// A meter's map quantities and whether it answers; nothing but `online` while it does not.
    static func meter(_ readings: [String: Double]?) -> EntityValues {
        var values: EntityValues = ["online": .bool(readings != nil)]
        for (name, value) in readings ?? [:] { values[name] = .number(value) }
        return values
    }

    /// The per-phase report as compact JSON (one object per phase, L1 first).
    static func phaseJSON(_ phases: [ZoneReport.PhaseReport]) -> String {
        let objects = phases.enumerated().map { index, phase in
            var object = "{\"phase\":\"L\(index + 1)\",\"plugs\":\(phase.plugs),\"charging\":\(phase.charging),\"paused\":\(phase.paused),"
                + "\"shared_a\":\(number(phase.shared))"
            if let load = phase.buildingLoad { object += ",\"building_load_a\":\(number(load))" }
            return object + "}"
        }
        return "[" + objects.joined(separator: ",") + "]"
    }

    /// A JSON number with one decimal; null when not finite (a zone without a limit).
    private static func number(_ value: Double) -> String { value.isFinite ? String(format: "%.1f", value) : "null" }

    /// `32` when every phase has the same limit, else `[32, 32, 20]` (what the command takes).
    static func format(limit: [Double]) -> String {
        if Set(limit).count == 1 { return String(format: "%g", limit[0]) }
        return "[" + limit.map { String(format: "%g", $0) }.joined(separator: ", ") + "]"
    }

    static func name(of state: ChargePointState) -> String { state.name }

    static func name(of cable: CableState) -> String {
        switch cable {
        case .noCable: "no-cable"
        case .cableNoVehicle: "cable"
        case .vehicleConnected: "vehicle-connected"
        case .vehicleLocked: "vehicle-locked"
        }
    }
}

extension StateValue {
    /// The payload: numbers with `decimals` digits (no "-0"), booleans as the contract's on/off.
    func payload(decimals: Int, on: String, off: String) -> String {
        switch self {
        case .number(let value):
            guard value.isFinite else { return "" }
            let text = String(format: "%.\(decimals)f", value)
            return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
        case .text(let text): return text
        case .bool(let flag): return flag ? on : off
        }
    }
}
