import Foundation

extension ChargerSpec {
    /// One line for installers (`check-config`, `maps`): the setpoint's unit and range, how a pause is
    /// written, phase switching, and the watchdog the bridge feeds (for a timeout of `timeout` s).
    public func summary(timeout: Double?) -> String {
        func number(_ value: Double) -> String { String(format: "%g", value) }
        let unitName = setpoint.unit == .percent ? "%" : setpoint.unit.rawValue
        var parts = ["setpoint \(setpoint.quantity) in \(unitName) \(number(setpoint.range.lowerBound))…\(number(setpoint.range.upperBound))"]
        switch setpoint.pause {
        case .zero: parts.append("pause: 0")
        case .enable(let quantity, _, let off): parts.append("pause: \(quantity) = \(number(off))")
        case .minimumWithFlag(let quantity, let paused, _): parts.append("pause: minimum and \(quantity) = \(number(paused))")
        }
        parts.append(phases.map { "1p/3p: \($0.quantity)" } ?? "no phase switching")
        let interval = timeout.flatMap { watchdog.feedInterval(timeout: $0) }.map { " every \(number($0)) s" } ?? ""
        let fallback: String
        switch watchdog.safeCurrent {
        case .register(let name): fallback = ", safe current in \(name)"
        case .fixed(let amperes): fallback = ", charger falls back to \(number(amperes)) A"
        case nil: fallback = ""
        }
        switch watchdog.kind {
        case .alive: parts.append("watchdog: \(watchdog.alive ?? "?") written\(interval)\(fallback)")
        case .validity: parts.append("watchdog: validity \(watchdog.timeout ?? "?") renewed\(interval)\(fallback)")
        case .setpoint: parts.append("watchdog: setpoint re-written\(interval) before its validity runs out\(fallback)")
        case .none: parts.append("no watchdog (the charger keeps its last setpoint if the bridge dies)")
        }
        return parts.joined(separator: ", ")
    }
}
