import Foundation

/// A boolean input from a file, such as a GPIO value under /sys/class/gpio: "1" active, "0" not.
enum FileInput {
    /// nil when the file cannot be read or holds anything else (the input keeps its last value).
    static func read(_ path: String) -> Bool? {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 64 else { return nil }
        switch String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "1", "on", "true", "active": return true
        case "0", "off", "false", "inactive": return false
        default: return nil
        }
    }
}
