import EnergyControl
import StorageModel

/// The utility's limit read from a gateway's register (`site.utility.modbus`): readings come from
/// the bus thread, timeouts are ticked at every step; the failsafe's start and end are logged and
/// recorded at most once per `gatewayAnnounceInterval` (a gateway that flaps is told as a count).
extension ControlCore {
    static let gatewayAnnounceInterval: Seconds = 60

    /// The gateway's registers as read (`heartbeat` nil when none is configured).
    public mutating func utilityGatewayRead(limit: UtilityGateway.Value, heartbeat: UtilityGateway.Value?, now time: Seconds,
                                            wall: Double) -> Effects {
        var effects = Effects()
        guard utilityGateway != nil else { return effects }
        _ = utilityGateway!.observe(limit: limit, heartbeat: heartbeat, now: max(time, lastStep))
        announceGateway(now: max(time, lastStep), wall: wall, into: &effects.logs, &effects.storage)
        return effects
    }

    mutating func tickUtilityGateway(now: Seconds, wall: Double, into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        guard utilityGateway != nil else { return }
        _ = utilityGateway!.tick(now: now)
        announceGateway(now: now, wall: wall, into: &logs, &storage)
    }

    /// Tells a failsafe that began or ended since the last line, unless one was told less than an interval ago.
    mutating func announceGateway(now: Seconds, wall: Double, into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        guard let gateway = utilityGateway else { return }
        let entries = gateway.failsafeEntries - gatewayAnnounced.entries
        guard gateway.isFailsafe != gatewayAnnounced.failsafe || entries > 0 else { return }
        guard now - gatewayAnnounced.at >= Self.gatewayAnnounceInterval else { return }
        // a failsafe that began and ended between two lines is told as a count
        let flapped = entries > 1 || entries == 1 && (gatewayAnnounced.failsafe || !gateway.isFailsafe)
        let more = flapped ? " (\(entries) failsafe \(entries == 1 ? "entry" : "entries") since the last line)" : ""
        if let reason = gateway.failsafeReason {
            let limit = gateway.limitInForceW(floorW: utilityFloorW) ?? 0
            let detail = "\(reason): failsafe limit \(formatKilowatts(limit)) kW" + more
            logs.append(CoreLog(.warning, "utility gateway: \(detail)"))
            storage.append(.event(EventRecord(at: wall, kind: EventKind.utilityGatewayFailsafe.rawValue, detail: detail)))
        } else {
            let limit = gateway.limitW.map { "\(formatKilowatts($0)) kW" } ?? "no limit"
            let detail = "alive again: its limit holds (\(limit))" + more
            logs.append(CoreLog(.notice, "utility gateway: \(detail)"))
            storage.append(.event(EventRecord(at: wall, kind: EventKind.utilityGatewayRecovered.rawValue, detail: detail)))
        }
        gatewayAnnounced = (gateway.isFailsafe, now, gateway.failsafeEntries)
    }

    /// The gateway's state for the views: nil without one, else why its failsafe holds ("" when it does not).
    public var utilityGatewayFailsafe: String? {
        utilityGateway.map { $0.failsafeReason ?? "" }
    }
}
