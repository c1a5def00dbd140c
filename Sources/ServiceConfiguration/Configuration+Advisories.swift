import EnergyControl
import LinkValues

extension Configuration {
    /// What a valid configuration does not do although it seems to say so: warnings for
    /// check-config and the start of `run` (pure; the devices' presence is checked by the caller).
    public var advisories: [String] {
        var advice = meters.filter { ![gridMeter, pvMeter, batteryMeter].contains($0.id) && zoneMeters[$0.id] == nil }.map {
            "meter \($0.id) is read and shown, but no loop uses it: name it in site.grid_meter, give it a role (grid, pv, battery) or make it a zone's meter, or remove it"
        }
        // the sun modes read PV and battery power; a PV meter also checks a grid meter
        let sunModes = chargers.contains { $0.mode == .sunOnly || $0.mode == .sunHybrid }
        let unused = sunModes ? [] : [gridMeter == nil ? pvMeter : nil, batteryMeter].compactMap { $0 }
        for id in unused {
            advice.append("meter \(id) is read and shown, but no loop uses it: its role counts only for chargers in mode sun-only or sun-hybrid")
        }
        return advice
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
        if case .rtu(let device, _)? = utilityGateway?.endpoint { all.append((device, "the utility gateway")) }
        return all
    }
}
