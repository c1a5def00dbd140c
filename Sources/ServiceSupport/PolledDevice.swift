import EnergyControl
import RegisterMaps

/// A meter or an input whose readings arrive on their own (a bus poll, a smart meter's telegram,
/// an MQTT message): its readers deliver them with it, and its role says where they go.
package struct PolledDevice: Sendable {
    /// What a device's readings are for: routed by type, not by name.
    package enum Role: Sendable, Equatable {
        case gridMeter
        case zoneMeter(zone: Int)
        /// A meter shown northbound only (PV, a sub-meter without a zone).
        case meter
        case input(id: String)

        package var noun: String {
            switch self {
            case .gridMeter: "grid meter"
            case .zoneMeter: "zone meter"
            case .meter: "meter"
            case .input: "input"
            }
        }
    }

    package let id: String
    package let role: Role
    package let map: RegisterMap
    package let unit: Int
    package let period: Seconds

    package init(id: String, role: Role, map: RegisterMap, unit: Int, period: Seconds) {
        self.id = id
        self.role = role
        self.map = map
        self.unit = unit
        self.period = period
    }
}
