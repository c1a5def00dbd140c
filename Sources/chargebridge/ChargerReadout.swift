import Foundation
import RegisterMaps

/// What a charger map's readings mean: its vendor status in the common vocabulary and IEC state,
/// the plug, the currents and the setpoint as the charger holds it (for `read --map <charger>`).
enum ChargerReadout {
    static func lines(_ spec: ChargerSpec, _ readings: [Reading]) -> [String] {
        var numbers: [String: Double] = [:]
        for reading in readings { if case .success(.number(let value)) = reading.value { numbers[reading.name] = value } }
        var lines: [String] = []
        if let code = numbers[spec.status.quantity], code.isFinite {
            let entry = spec.status.decode(code: Int(code))
            let iec = entry.iec.map { ", IEC 61851 state \($0.rawValue)" } ?? ""
            let note = entry.status == .unknown ? " — the map does not list this code: never read as charging" : ""
            lines.append("status: \(entry.status.rawValue) (code \(Int(code))\(iec))\(note)")
        } else {
            lines.append("status: missing (\(spec.status.quantity) not read)")
        }
        if let cable = spec.status.cable, let raw = numbers[cable] {
            lines.append("plug: \(spec.status.cableCodes[Int(raw)]?.rawValue ?? "code \(Int(raw))")")
        }
        let currents = ["current.l1", "current.l2", "current.l3"].map { numbers[$0].map { ReadingFormatter.format(($0 * 100).rounded() / 100) } ?? "—" }
        lines.append("currents: \(currents.joined(separator: " / ")) A")
        let unitName = spec.setpoint.unit == .percent ? "%" : spec.setpoint.unit.rawValue
        let held = numbers[spec.setpoint.quantity].map { "\(ReadingFormatter.format($0)) \(unitName)" } ?? "not readable"
        lines.append("setpoint: \(held)")
        return lines
    }

    /// The same, as JSON fields.
    static func json(_ spec: ChargerSpec, _ readings: [Reading]) -> String {
        var status = "null", iec = "null"
        for reading in readings where reading.name == spec.status.quantity {
            if case .success(.number(let code)) = reading.value, code.isFinite {
                let entry = spec.status.decode(code: Int(code))
                status = ReadingFormatter.jsonString(entry.status.rawValue)
                iec = entry.iec.map { ReadingFormatter.jsonString($0.rawValue) } ?? "null"
            }
        }
        return "\"charger.status\": \(status), \"charger.iec_state\": \(iec)"
    }
}
