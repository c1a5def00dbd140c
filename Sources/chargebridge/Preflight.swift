import Foundation
import Modbus
import ServiceConfiguration

/// What `run` checks before it opens anything; `check-config` checks exactly the same, so a file
/// it passes starts. Errors: listeners that share an address and port once their names are
/// resolved, a listener that cannot be bound now (taken, an address not on this machine, a name
/// that does not resolve), a data folder that cannot be written. Warnings: what is valid but
/// will not do what it seems to say (a meter no loop uses, a serial device not present now).
struct Preflight {
    private(set) var errors: [String] = []
    private(set) var warnings: [String] = []

    /// - Parameter portsInUseAreWarnings: check-config `--while-running`: the running service
    ///   holds its own ports.
    init(_ configuration: Configuration, portsInUseAreWarnings: Bool = false) {
        checkListeners(configuration.listeners, inUseIsWarning: portsInUseAreWarnings)
        if let storage = configuration.storage { checkDataDirectory(storage.dataDirectory) }
        warnings += configuration.advisories
        for (device, what) in configuration.serialDevices where !FileManager.default.fileExists(atPath: device) {
            warnings.append("\(what): serial device \(device) is not present now (plugged in later, it is opened then)")
        }
    }

    private mutating func checkListeners(_ listeners: [Listener], inUseIsWarning: Bool) {
        var bound: [(listener: Listener, addresses: Set<String>)] = []
        for listener in listeners {
            let addresses: Set<String>
            do { addresses = try ListenerAddresses.resolve(listener.host) } catch {
                errors.append("\(listener.what): \(error)")
                continue
            }
            if let other = bound.first(where: { $0.listener.port == listener.port && ListenerAddresses.overlap($0.addresses, addresses) }) {
                errors.append("\(listener.what) (\(listener.host):\(listener.port)) and \(other.listener.what) (\(other.listener.host):\(other.listener.port)) are one address and port")
                continue
            }
            bound.append((listener, addresses))
            guard let trial = PortProbe.trial(host: listener.host, port: listener.port) else { continue }
            if trial.inUse && inUseIsWarning {
                warnings.append("\(listener.what): \(trial.problem) (held by the running service?)")
            } else {
                errors.append("\(listener.what): \(trial.problem)")
            }
        }
    }

    /// Writes and removes a file in the folder; for a folder not there yet, makes and removes a
    /// uniquely named folder where it would be created (`run` creates it). Nothing shared is made or
    /// removed, so two checks of one configuration at once do not disturb each other.
    private mutating func checkDataDirectory(_ path: String) {
        let manager = FileManager.default
        var existing = URL(fileURLWithPath: path).standardizedFileURL
        var missing = false
        while !manager.fileExists(atPath: existing.path), existing.path != "/" {
            missing = true
            existing = existing.deletingLastPathComponent()
        }
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: existing.path, isDirectory: &isFolder), isFolder.boolValue else {
            errors.append("storage.data_dir \(path): \(existing.path) is not a folder")
            return
        }
        if missing {
            var template = Array("\(existing.path)/.chargebridge-check-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                errors.append("storage.data_dir \(path): cannot create it in \(existing.path) (\(String(cString: strerror(errno))))")
                return
            }
            rmdir(made)
            return
        }
        let probe = URL(fileURLWithPath: path).appendingPathComponent(".chargebridge-write-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        guard manager.createFile(atPath: probe, contents: Data()) else {
            errors.append("storage.data_dir \(path): cannot create a file there (\(String(cString: strerror(errno))))")
            return
        }
        try? manager.removeItem(atPath: probe)
    }
}
