import ServiceConfiguration
import ServiceSupport

extension PolledDevice {
    /// A configured meter's role: the grid meter, a zone's meter, the PV or battery meter, or a meter only shown.
    package static func role(of meter: String, _ configuration: Configuration) -> Role {
        if meter == configuration.gridMeter { return .gridMeter }
        if meter == configuration.pvMeter { return .pvMeter }
        if meter == configuration.batteryMeter { return .batteryMeter }
        return configuration.zoneMeters[meter].map { .zoneMeter(zone: $0) } ?? .meter
    }

    /// The device that reads a configured meter, with its role, SunSpec selection and sign.
    package static func of(_ meter: Configuration.Meter, _ configuration: Configuration, unit: Int? = nil) -> PolledDevice {
        var device = PolledDevice(id: meter.id, role: role(of: meter.id, configuration), map: meter.map, unit: unit ?? meter.unit, period: meter.period)
        device.sunspec = meter.sunspec
        device.powerInverted = meter.powerInverted
        return device
    }
}
