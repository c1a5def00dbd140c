/// How a charger's L1/L2/L3 are wired to the grid's phases [SPEC §6.3, Bender §7.6].
public enum PhaseRotation: Sendable, Equatable {
    /// L1→L1, L2→L2, L3→L3
    case rst
    /// L1→L2, L2→L3, L3→L1
    case str
    /// L1→L3, L2→L1, L3→L2
    case trs
    /// A single-phase charger on grid phase 0, 1 or 2.
    case single(Int)

    /// The grid phase (0…2) the charger's L1 is wired to (no array: asked on every control step).
    public var firstGridPhase: Int {
        switch self {
        case .single(let phase): phase
        case .rst: 0
        case .str: 1
        case .trs: 2
        }
    }

    /// Grid phases (0…2) loaded by a vehicle charging on `phases` (1 or 3) of this charger.
    public func gridPhases(vehiclePhases phases: Int) -> [Int] {
        switch self {
        case .single(let phase): return [phase]
        case .rst: return phases == 1 ? [0] : [0, 1, 2]
        case .str: return phases == 1 ? [1] : [1, 2, 0]
        case .trs: return phases == 1 ? [2] : [2, 0, 1]
        }
    }
}

extension PhaseRotation: CustomStringConvertible {
    public var description: String {
        switch self {
        case .rst: "RST"
        case .str: "STR"
        case .trs: "TRS"
        case .single(let phase): "L\(phase + 1)"
        }
    }
}
