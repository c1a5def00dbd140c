import EnergyControl
import StorageModel

extension ControlCore {
    /// The utility's limit on the chargers in force: the dimming contact's power while it is closed,
    /// the commanded one, the gateway's register (or its failsafe limit), the lowest of them; nil
    /// when none holds. The floor is applied by the loops.
    var utilityLimitW: Double? {
        let dimming = settings.inputs.contains { $0.role == .dimming && inputs[$0.id]?.value == true }
        let contact = dimming ? settings.site.utility.dimmedPowerW ?? 0 : nil
        let gateway = utilityGateway?.limitInForceW(floorW: utilityFloorW)
        return [contact, utilityCommandW, gateway].compactMap { $0 }.min()
    }

    /// The least the chargers keep under a utility limit (§14a EnWG).
    var utilityFloorW: Double { settings.site.utility.floorW(chargers: settings.chargers.count) }

    /// Changes of a limit that holds are told at most once per this many seconds (a gateway's
    /// register that wanders must not flood the log and the event table); starts and ends at once.
    static let utilityChangeInterval: Seconds = 10

    /// A dimming that starts, changes or ends is logged and recorded, with the floor when it holds.
    /// (The limit itself is in force at once; only its announcement waits.)
    mutating func noteUtilityLimit(now: Seconds, wall: Double, into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        let limit = utilityLimitW
        guard limit != utilityInForce else { return }
        if limit != nil, utilityInForce != nil, now - utilityAnnounced < Self.utilityChangeInterval { return }
        utilityInForce = limit
        utilityAnnounced = now
        guard let limit else {
            logs.append(CoreLog(.notice, "utility power limit ended"))
            storage.append(.event(EventRecord(at: wall, kind: EventKind.utilityLimitEnded.rawValue)))
            return
        }
        let floor = utilityFloorW
        let detail = limit < floor
            ? "\(formatKilowatts(limit)) kW asked; the chargers keep the §14a minimum of \(formatKilowatts(floor)) kW"
            : "\(formatKilowatts(limit)) kW for the chargers together"
        logs.append(CoreLog(.warning, "utility power limit: \(detail)"))
        storage.append(.event(EventRecord(at: wall, kind: EventKind.utilityLimitStarted.rawValue, detail: detail)))
    }

    /// The power limit in force for the chargers (after the floor), watts; nil: none.
    public var utilityLimitInForceW: Double? { utilityLimitW.map { max($0, utilityFloorW) } }
}

/// `4.2`, `7.56`, `11`: kilowatts with at most two decimals.
func formatKilowatts(_ watts: Double) -> String {
    let kw = (watts / 10).rounded() / 100
    return kw == kw.rounded() ? String(Int(kw)) : String(kw)
}
