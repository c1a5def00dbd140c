import EnergyControl
import RegisterMaps

/// A charger's readings (standard names of the EVC04/EVC08 layout) → its status. Pure.
enum ChargerStatusDecoder {
    /// Quantities every charger map must have: without them the bridge cannot control it safely.
    static let required = ["status.charge_point", "status.cable", "current.l1", "current.l2", "current.l3"]
    /// Writable quantities a driven charger needs.
    static let requiredWritable = ["ems.charging_current", "ems.alive", "ems.failsafe_current", "ems.failsafe_timeout"]

    /// nil when a required value is missing (a failed or implausible poll: the last status stays).
    static func decode(_ readings: [Reading], activePhases: Int) -> ChargerStatus? {
        var values: [String: Double] = [:]
        var texts: [String: String] = [:]
        for reading in readings {
            switch reading.value {
            case .success(.number(let value)): values[reading.name] = value
            case .success(.text(let text)): texts[reading.name] = text
            case .failure: break
            }
        }
        guard let state = values["status.charge_point"].flatMap({ ChargePointState(rawValue: Int($0)) }),
              let cable = values["status.cable"].flatMap({ CableState(rawValue: Int($0)) }),
              let l1 = values["current.l1"], let l2 = values["current.l2"], let l3 = values["current.l3"] else { return nil }
        var status = ChargerStatus()
        status.state = state
        status.cable = cable
        status.faultCode = Int(values["status.fault_code"] ?? 0)
        status.currents = [l1, l2, l3]
        status.voltages = ["voltage.l1", "voltage.l2", "voltage.l3"].map { values[$0].flatMap { $0 > 0 ? $0 : nil } ?? 230 }
        status.energyWh = values["energy.import"] ?? 0
        status.sessionEnergyWh = values["session.energy"] ?? 0
        status.sessionSeconds = values["session.duration"] ?? 0
        status.idTag = texts["session.id_tag"] ?? ""
        status.sessionMaxCurrent = Int(values["session.max_current"] ?? 0)
        status.activePhases = values["charger.three_phase"] == 0 ? 1 : activePhases
        status.online = true
        return status
    }
}
