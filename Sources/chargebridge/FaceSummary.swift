import LinkValues
import ServiceConfiguration

/// check-config's lines on how energy managers reach a charger: every face (address, port, unit,
/// table) and who may write through it.
enum FaceSummary {
    static func lines(_ charger: Configuration.Charger, _ configuration: Configuration) -> [String] {
        let writers: String
        if charger.readOnly {
            writers = "nobody (read_only)"
        } else if let allowed = charger.allowWrite ?? configuration.northbound.allowWrite {
            writers = allowed.map(\.description).joined(separator: ", ")
        } else {
            writers = "anyone who can connect (loopback only)"
        }
        return configuration.faces(of: charger).map { face in
            let unit = face.unit.map { "unit \($0)" } ?? "any unit"
            return "\(configuration.faceName(face.face)) on Modbus TCP \(face.host):\(face.port), \(unit); may write: \(writers)"
        }
    }
}
