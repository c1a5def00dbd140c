import RegisterMaps
import ServiceConfiguration

/// What a charger's Home Assistant device says before the charger reports itself: what the
/// configuration states in `identity:`, else the charger map's vendor and name (a Modbus charger),
/// else nothing. The EVC08 face's defaults (`chargebridge`, `EVC08`, `CB-<id>`) describe the face
/// energy managers see, not the charger, and are never shown as its device.
enum ChargerDevice {
    static func placeholders(_ charger: Configuration.Charger) -> [String: String] {
        let identity = charger.identity
        var result: [String: String] = [:]
        if let map = charger.southbound?.map {
            if !map.vendor.isEmpty { result["brand"] = map.vendor }
            result["model"] = map.name
        } else if charger.driver == "simulated" {
            result["brand"] = "chargebridge"
            result["model"] = "Simulated charger"
        }
        for (key, value) in [("brand", identity.brand), ("model", identity.model), ("serial", identity.serial)]
        where identity.configured.contains(key) {
            result[key] = value
        }
        return result
    }
}
