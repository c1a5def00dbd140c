import EnergyControl
import RegisterMaps

/// What a charger will really get when nobody steers it, and why: for `check-config`.
public enum FailsafeExplanation {
    /// Two clauses: without an energy manager (the bridge running), and if the bridge stops.
    public static func lines(_ charger: Configuration.Charger, emsExpected: Bool) -> [String] {
        let limits = charger.limits
        let configured = charger.failsafeCurrent
        let given = configured == 0 ? 0 : min(configured, limits.ceiling)
        var why = "failsafe_current \(configured) A"
        if given != configured { why += ", capped at the charger's \(limits.ceiling) A" }
        if given == 0 { why += ": charging stops" }
        let withoutEMS = emsExpected
            ? "without an energy manager (none yet, or one silent for \(charger.failsafeTimeout) s): \(given) A (\(why)), then the local loops may lower it"
            : "no energy manager (ems: none): \(given) A (\(why)) is the request, the local loops may lower it; shown as local, not as an alarm"
        let ifBridgeStops: String
        if charger.ocpp != nil {
            ifBridgeStops = "if the bridge stops: \(given) A (the charge point's failsafe profile, stack level 0)"
        } else if let southbound = charger.southbound, let spec = southbound.map.charger {
            switch (spec.watchdog.kind, spec.watchdog.safeCurrent) {
            case (.none, _):
                ifBridgeStops = "if the bridge stops: the charger keeps its last setpoint (its map \(southbound.map.name) has no watchdog)"
            case (_, .fixed(let amperes)):
                ifBridgeStops = "if the bridge stops: \(amperes.formatted()) A after \(southbound.failsafeTimeout) s (the charger's own safe current)"
            case (_, .register):
                ifBridgeStops = "if the bridge stops: \(given) A after \(southbound.failsafeTimeout) s (written to the charger's own watchdog)"
            case (_, nil):
                ifBridgeStops = "if the bridge stops: the charger's own fallback after \(southbound.failsafeTimeout) s (its map does not say which current)"
            }
        } else {
            ifBridgeStops = "if the bridge stops: a simulated charger stops with it"
        }
        return [withoutEMS, ifBridgeStops]
    }
}

private extension Double {
    func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}
