import ControlCore
import EnergyControl
import RegisterMaps
import ServiceConfiguration

/// Everything a face can show of one charger, in the common vocabulary (`FaceSpec.values` and
/// `FaceSpec.codedValues`): the charger's configuration and the control core's view of it.
public struct FaceValues: Sendable {
    var numbers: [String: Double]
    var texts: [String: String]
    var coded: [String: String]

    package init(config: Configuration.Charger, view: ChargerView) {
        let status = view.status, limits = config.limits
        let phasesInUse = status.activePhases == 1 ? 1 : 3
        numbers = [
            "charger.rated_power": Double(config.ratedPowerW),
            "charger.phases": Double(phasesInUse),
            "charger.three_phase": phasesInUse == 3 ? 1 : 0,
            "status.charging": status.charging ? 1 : 0,
            "status.equipment": status.online ? 1 : 2,
            "status.fault_code": Double(status.faultCode),
            "power.total": status.totalPower.rounded(),
            "energy.import": status.energyWh,
            "session.max_current": Double(status.sessionMaxCurrent),
            "session.energy": status.sessionEnergyWh.rounded(),
            "session.duration": status.sessionSeconds.rounded(),
            "limits.min_current": Double(limits.minCurrent),
            "limits.max_current": Double(limits.maxCurrent),
            "limits.cable_max_current": Double(limits.cableMaxCurrent ?? limits.maxCurrent),
            "setpoint.current": Double(view.decision.amperes),
            "ems.current": Double(view.chargingCurrent),
            "ems.power": Double(view.chargingCurrent) * MasterCommand.nominalVoltage * Double(phasesInUse),
            "ems.failsafe_current": Double(view.failsafeCurrent),
            "ems.failsafe_timeout": Double(view.failsafeTimeout),
        ]
        for phase in 0..<3 {
            numbers["current.l\(phase + 1)"] = (status.currents[phase] * 1000).rounded() / 1000
            numbers["voltage.l\(phase + 1)"] = status.voltages[phase].rounded()
            numbers["power.l\(phase + 1)"] = status.powers[phase].rounded()
        }
        texts = [
            "identity.serial": config.identity.serial, "identity.brand": config.identity.brand,
            "identity.model": config.identity.model, "identity.firmware": config.identity.firmware,
            "session.id_tag": status.idTag,
        ]
        coded = [
            "status": Self.common(status.state).rawValue,
            "cable": Self.plug(status.cable).rawValue,
            "iec": Self.iec(status).rawValue,
            "phases": phasesInUse == 3 ? "three" : "one",
            "enable": view.masterEnabled ? "on" : "off",
        ]
    }

    /// The value a register shows, as `Codec.encode` takes it (nil: none, the register reads 0).
    func value(of source: FaceSpec.Source, as quantity: Quantity) -> Value? {
        switch source {
        case .constant(let number): return .number(number)
        case .text(let text): return .text(text)
        case .coded(let name, let codes): return coded[name].flatMap { codes[$0] }.map(Value.number)
        case .value(let name):
            if let number = numbers[name] { return quantity.type == .string ? .text(Self.plain(number)) : .number(number) }
            guard let text = texts[name] else { return nil }
            // a numeric register for a text (a serial number as u32): the number if it is one
            return quantity.type == .string ? .text(text) : Double(text).map(Value.number)
        }
    }

    static func plain(_ number: Double) -> String { number == number.rounded() ? String(Int(number)) : String(number) }

    static func common(_ state: ChargePointState) -> CommonChargerStatus {
        switch state {
        case .available: .available
        case .preparing: .preparing
        case .charging: .charging
        case .suspendedEVSE: .suspendedEVSE
        case .suspendedEV: .suspendedEV
        case .finishing: .finishing
        case .reserved: .reserved
        case .unavailable: .unavailable
        case .faulted: .faulted
        }
    }

    static func plug(_ cable: CableState) -> PlugState {
        switch cable {
        case .noCable: .noCable
        case .cableNoVehicle: .cable
        case .vehicleConnected: .vehicle
        case .vehicleLocked: .locked
        }
    }

    /// The control pilot state the status implies.
    static func iec(_ status: ChargerStatus) -> IECState {
        if status.state == .faulted { return .f }
        if status.state == .unavailable { return .e }
        if status.charging { return .c }
        return status.plugged ? .b : .a
    }
}
