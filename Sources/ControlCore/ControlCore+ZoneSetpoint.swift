import EnergyControl
import StorageModel

/// A zone's limit set by a remote energy manager over Modbus or MQTT, with a heartbeat
/// [Schneider EcoStruxure EV Charging Expert user guide §3.11.4] (see `ZoneSetpoint`).
extension ControlCore {
    /// The zones that take a remote setpoint, in configuration order (the Modbus zone block's order).
    public var setpointZones: [String] {
        (settings.load?.zones ?? []).enumerated().filter { zoneSetpoints[$0.offset] != nil }.map(\.element.id)
    }

    /// A new setpoint for zone `id` from `controller` (an address, or "mqtt"): nil when taken, else why not.
    public mutating func zoneSetpoint(zone id: String, _ limit: [Double], controller: String, now: Seconds, wall: Double)
        -> (problem: String?, effects: Effects) {
        var effects = Effects()
        guard let index = setpointZoneIndex(id) else { return (setpointZoneProblem(id), effects) }
        let before = zoneSetpoints[index]!
        if let problem = zoneSetpoints[index]!.set(limit, controller: controller, now: max(now, lastStep)) { return (problem, effects) }
        let after = zoneSetpoints[index]!
        applyZoneSetpoint(index)
        if after.limit != before.limit || after.controller != before.controller {
            let text = ZoneSetpoint.text(limit)
            effects.logs.append(CoreLog(.notice, "zone \(id): setpoint \(text) A from \(controller)"))
            effects.storage.append(.event(EventRecord(at: wall, kind: EventKind.zoneSetpointChanged.rawValue, subject: id, detail: "\(text) A from \(controller)")))
        }
        return (nil, effects)
    }

    /// A heartbeat for zone `id` from `controller`: nil when taken, else why not.
    public mutating func zoneHeartbeat(zone id: String, controller: String, now: Seconds) -> String? {
        guard let index = setpointZoneIndex(id) else { return setpointZoneProblem(id) }
        return zoneSetpoints[index]!.heartbeat(controller: controller, now: max(now, lastStep))
    }

    func setpointZoneIndex(_ id: String) -> Int? {
        guard let index = settings.load?.zones.firstIndex(where: { $0.id == id }), zoneSetpoints[index] != nil else { return nil }
        return index
    }

    func setpointZoneProblem(_ id: String) -> String {
        let zones = setpointZones
        guard settings.load?.zones.contains(where: { $0.id == id }) == true else {
            return "no zone \"\(id)\"" + (zones.isEmpty ? "" : " (zones with a setpoint: \(zones.joined(separator: ", ")))")
        }
        return "zone \(id) takes no remote setpoint (configure setpoint: under the zone)"
    }

    mutating func applyZoneSetpoint(_ index: Int) {
        controller.load?.setRemoteLimit(zone: index, zoneSetpoints[index]?.limit)
    }

    /// Silent controllers: their zones go to the failsafe limit.
    mutating func tickZoneSetpoints(now: Seconds, wall: Double, into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        for index in zoneSetpoints.keys.sorted() where zoneSetpoints[index]!.tick(now: now) {
            let zone = settings.load!.zones[index].id, setpoint = zoneSetpoints[index]!
            applyZoneSetpoint(index)
            let limit = ZoneSetpoint.text(setpoint.settings.failsafeLimit)
            logs.append(CoreLog(.warning, "zone \(zone): no setpoint or heartbeat for \(Int(setpoint.settings.heartbeat)) s: failsafe limit \(limit) A"))
            storage.append(.event(EventRecord(at: wall, kind: EventKind.zoneSetpointFailsafe.rawValue, subject: zone, detail: "\(limit) A")))
        }
    }
}
