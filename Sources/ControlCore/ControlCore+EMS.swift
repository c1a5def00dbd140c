import EnergyControl
import StorageModel

/// What an energy manager writes on a charger's EVC08 face [SPEC §4, Vestel EVC08 installation
/// guideline §16.7.1]: checked whole, then applied to the charger's failsafe machine.
extension ControlCore {
    /// One register value an EMS wrote, by its standard name (`ems.charging_current`, …).
    public struct EMSWrite: Sendable, Equatable {
        public var name: String
        public var value: Double
        public init(_ name: String, _ value: Double) {
            self.name = name
            self.value = value
        }
    }

    /// Applies the writes of one request, or none: the first refused value is returned with why.
    /// - Parameter master: the writing master's address (for the log).
    public mutating func emsWrite(charger index: Int, _ writes: [EMSWrite], master: String?, now: Seconds, wall: Double)
        -> (refused: EMSWrite?, problem: String?, effects: Effects) {
        var effects = Effects()
        let charger = settings.chargers[index]
        for write in writes {
            if let problem = Self.validate(write, limits: charger.limits) { return (write, problem, effects) }
        }
        for write in writes {
            let value = Int(write.value)
            switch write.name {
            case "ems.charging_current": faces[index].machine.setChargingCurrent(value)
            case "ems.failsafe_current": faces[index].machine.setFailsafeCurrent(value)
            case "ems.failsafe_timeout": faces[index].machine.setFailsafeTimeout(value)
            case "ems.phases": faces[index].requestedPhases = value == 1 ? 3 : 1
            case "ems.alive":
                if faces[index].machine.alive(at: max(now, lastStep)) {
                    effects.logs.append(CoreLog(.notice, "failsafe left: master \(master ?? "?") is alive, request \(faces[index].machine.chargingCurrent) A",
                                                charger: charger.id))
                    effects.storage.append(.event(EventRecord(at: wall, kind: EventKind.failsafeLeft.rawValue, subject: charger.id, detail: "master \(master ?? "?")")))
                }
            default: break
            }
        }
        refreshView(index)
        return (nil, nil, effects)
    }

    static func validate(_ write: EMSWrite, limits: ChargerLimits) -> String? {
        // a custom layout may declare a wider or fractional type: only whole values in range count
        guard write.value.isFinite, write.value == write.value.rounded(), abs(write.value) <= 65_535 else { return "must be a whole number 0…65535" }
        let amperes = Int(write.value)
        switch write.name {
        case "ems.charging_current", "ems.failsafe_current":
            return limits.acceptsRequest(amperes) ? nil : "must be 0 or \(limits.minCurrent)…\(limits.ceiling) A"
        case "ems.failsafe_timeout":
            return (1...3600).contains(amperes) ? nil : "must be 1…3600 s"
        case "ems.phases":
            guard amperes == 0 || amperes == 1 else { return "must be 0 (single-phase) or 1 (three-phase)" }
            return phaseProblem(amperes == 1 ? 3 : 1, limits: limits)
        default:
            return nil   // ems.alive: any value
        }
    }
}
