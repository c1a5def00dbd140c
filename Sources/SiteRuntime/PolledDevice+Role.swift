import ServiceConfiguration
import ServiceSupport

extension PolledDevice {
    /// A configured meter's role: the grid meter, a zone's meter, or a meter only shown.
    package static func role(of meter: String, _ configuration: Configuration) -> Role {
        meter == configuration.gridMeter ? .gridMeter : configuration.zoneMeters[meter].map { .zoneMeter(zone: $0) } ?? .meter
    }
}
