import EnergyControl
import RegisterMaps
import SunSpec

/// A meter or an input whose readings arrive on their own (a bus poll, a smart meter's telegram,
/// an MQTT message): its readers deliver them with it, and its role says where they go.
package struct PolledDevice: Sendable {
    /// What a device's readings are for: routed by type, not by name.
    package enum Role: Sendable, Equatable {
        case gridMeter
        case zoneMeter(zone: Int)
        /// PV production (the sun modes' surplus without a grid meter, a cross-check with one).
        case pvMeter
        /// A house battery's power (+ discharge, − charge).
        case batteryMeter
        /// A meter shown northbound only (PV, a sub-meter without a zone).
        case meter
        case input(id: String)
        /// The registers of a grid operator's gateway: the utility's power limit and its heartbeat.
        case utilityGateway

        package var noun: String {
            switch self {
            case .gridMeter: "grid meter"
            case .zoneMeter: "zone meter"
            case .pvMeter: "PV meter"
            case .batteryMeter: "battery meter"
            case .meter: "meter"
            case .input: "input"
            case .utilityGateway: "utility gateway"
            }
        }
    }

    package let id: String
    package let role: Role
    package let map: RegisterMap
    package let unit: Int
    package let period: Seconds
    /// Read through SunSpec: the model chain is found on the device (nil: polled through `map`).
    package var sunspec: SunSpecSelection?
    /// Its power readings are negated before anything sees them (`sign: inverted`).
    package var powerInverted = false

    package init(id: String, role: Role, map: RegisterMap, unit: Int, period: Seconds) {
        self.id = id
        self.role = role
        self.map = map
        self.unit = unit
        self.period = period
    }
}
