import EnergyControl
import RegisterMaps
import ServiceConfiguration

/// A charger's readings (standard quantity names) → its status, through the status table of its
/// map's `charger:` section. Pure.
struct ChargerStatusDecoder {
    /// Quantities every charger map must have besides its status (checked when the configuration loads).
    static let requiredCurrents = SouthboundSettings.requiredCurrents

    let spec: ChargerSpec.Status

    /// Quantities whose absence makes a poll incomplete.
    var required: [String] { [spec.quantity] + (spec.cable.map { [$0] } ?? []) + Self.requiredCurrents }

    struct Decoded {
        var status: ChargerStatus
        /// The vendor code, when the map's table does not list it (the status reads as not charging).
        var unknownCode: Int?
    }

    /// nil when a required value is missing (a failed or implausible poll: the last status stays).
    func decode(_ readings: [Reading], activePhases: Int) -> Decoded? {
        var values: [String: Double] = [:]
        var texts: [String: String] = [:]
        for reading in readings {
            switch reading.value {
            case .success(.number(let value)): values[reading.name] = value
            case .success(.text(let text)): texts[reading.name] = text
            case .failure: break
            }
        }
        guard let code = values[spec.quantity], code.isFinite, abs(code) < 1e9,
              let l1 = values["current.l1"], let l2 = values["current.l2"], let l3 = values["current.l3"] else { return nil }
        let entry = spec.decode(code: Int(code))
        var status = ChargerStatus()
        status.state = Self.state(of: entry.status)
        if let cable = spec.cable {
            guard let raw = values[cable] else { return nil }
            status.cable = spec.cableCodes[Int(raw)].map(Self.cable(of:)) ?? Self.cable(of: entry.iec)
        } else {
            status.cable = Self.cable(of: entry.iec)
        }
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
        return Decoded(status: status, unknownCode: entry.status == .unknown ? Int(code) : nil)
    }

    /// The common vocabulary in the control's terms. `unknown` becomes `unavailable`: not charging,
    /// so neither counted as charging nor offered current (the control has no `unknown` state).
    static func state(of status: CommonChargerStatus) -> ChargePointState {
        switch status {
        case .available: .available
        case .preparing: .preparing
        case .charging: .charging
        case .suspendedEV: .suspendedEV
        case .suspendedEVSE: .suspendedEVSE
        case .finishing: .finishing
        case .reserved: .reserved
        case .faulted: .faulted
        case .unavailable, .unknown: .unavailable
        }
    }

    static func cable(of plug: PlugState) -> CableState {
        switch plug {
        case .noCable: .noCable
        case .cable: .cableNoVehicle
        case .vehicle: .vehicleConnected
        case .locked: .vehicleLocked
        }
    }

    /// Without a cable register: a vehicle is connected in IEC states B, C and D.
    static func cable(of iec: IECState?) -> CableState {
        iec?.vehicleConnected == true ? .vehicleConnected : .noCable
    }
}
