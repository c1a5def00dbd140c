import EnergyControl
import StorageModel

/// What a master asks of a charger [SPEC §4, Vestel EVC08 installation guideline §16.7.1]: the
/// commands of one request are checked whole, then applied to the charger's failsafe machine.
extension ControlCore {
    /// Applies the commands of one request, or none: the first refused command is returned with why.
    /// - Parameter master: who asked (an address, for the log).
    public mutating func masterRequest(charger index: Int, _ commands: [MasterCommand], master: String?, now: Seconds, wall: Double)
        -> (refused: MasterCommand?, problem: String?, effects: Effects) {
        var effects = Effects()
        let charger = settings.chargers[index]
        let phasesInUse = views[index].status.activePhases == 1 ? 1 : 3
        for command in commands {
            if let problem = Self.validate(command, limits: charger.limits, phasesInUse: phasesInUse) { return (command, problem, effects) }
        }
        for command in commands {
            switch command {
            case .current(let amperes): faces[index].machine.setChargingCurrent(Int(amperes))
            case .power(let watts): faces[index].machine.setChargingCurrent(Self.amperes(watts: watts, phases: phasesInUse))
            case .enable(let on): faces[index].machine.setEnabled(on)
            case .phases(let count): faces[index].requestedPhases = count
            case .failsafeCurrent(let amperes): faces[index].machine.setFailsafeCurrent(Int(amperes))
            case .failsafeTimeout(let seconds): faces[index].machine.setFailsafeTimeout(Int(seconds))
            case .alive:
                if faces[index].machine.alive(at: max(now, lastStep)) {
                    effects.logs.append(CoreLog(.notice, "failsafe left: master \(master ?? "?") is alive, request \(faces[index].machine.request) A",
                                                charger: charger.id))
                    effects.storage.append(.event(EventRecord(at: wall, kind: EventKind.failsafeLeft.rawValue, subject: charger.id, detail: "master \(master ?? "?")")))
                }
            }
        }
        refreshView(index)
        return (nil, nil, effects)
    }

    /// Whole amperes a power request allows (rounded down: never more than the watts).
    static func amperes(watts: Double, phases: Int) -> Int {
        Int((watts / (MasterCommand.nominalVoltage * Double(phases))).rounded(.down))
    }

    static func validate(_ command: MasterCommand, limits: ChargerLimits, phasesInUse: Int) -> String? {
        func whole(_ value: Double, in range: ClosedRange<Double>) -> Bool {
            value.isFinite && value == value.rounded() && range.contains(value)
        }
        switch command {
        case .current(let amperes), .failsafeCurrent(let amperes):
            guard whole(amperes, in: 0...65_535), limits.acceptsRequest(Int(amperes)) else { return "must be 0 or \(limits.minCurrent)…\(limits.ceiling) A" }
            return nil
        case .power(let watts):
            let ceiling = Double(limits.ceiling) * MasterCommand.nominalVoltage * Double(phasesInUse)
            guard watts.isFinite, watts >= 0, watts <= 1_000_000 else { return "must be 0…\(Int(ceiling)) W" }
            let amperes = amperes(watts: watts, phases: phasesInUse)
            // above the charger's maximum is capped by the policy; between 0 and the minimum it cannot charge
            guard amperes == 0 || amperes >= limits.minCurrent else {
                return "must be 0 or at least \(Int(Double(limits.minCurrent) * MasterCommand.nominalVoltage * Double(phasesInUse))) W on \(phasesInUse) phase(s)"
            }
            guard watts <= ceiling + 0.5 else { return "must be at most \(Int(ceiling)) W on \(phasesInUse) phase(s)" }
            return nil
        case .failsafeTimeout(let seconds):
            return whole(seconds, in: 1...3600) ? nil : "must be 1…3600 s"
        case .phases(let count):
            return phaseProblem(count, limits: limits)
        case .enable, .alive:
            return nil
        }
    }
}
