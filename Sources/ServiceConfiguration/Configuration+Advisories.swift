import LinkValues

extension Configuration {
    /// What a valid configuration does not do although it seems to say so: warnings for
    /// check-config and the start of `run` (pure; the devices' presence is checked by the caller).
    public var advisories: [String] {
        meters.filter { $0.id != gridMeter && zoneMeters[$0.id] == nil }.map {
            "meter \($0.id) is read and shown, but no loop uses it: name it in site.grid_meter or as a zone's meter, or remove it"
        }
    }

    /// The serial devices the configuration opens, and what uses each.
    public var serialDevices: [(device: String, what: String)] {
        var all: [(String, String)] = []
        for meter in meters where meter.mqtt == nil {
            if case .rtu(let device, _) = meter.endpoint { all.append((device, "meter \(meter.id)")) }
        }
        for charger in chargers {
            if case .rtu(let device, _)? = charger.southbound?.endpoint { all.append((device, "charger \(charger.id)")) }
        }
        for input in inputs {
            if case .modbus(.rtu(let device, _), _, _, _) = input.source { all.append((device, "input \(input.id)")) }
        }
        return all
    }
}
