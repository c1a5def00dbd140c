import Foundation
import DataFiles
import ArgumentParser
import RegisterMaps
import SerialLine

struct MapsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "maps", abstract: "List the known register maps (and check them).")

    func run() throws {
        let files = MapCatalog.standard().files()
        guard !files.isEmpty else { throw CLIError("no register maps found (looked in \(MapCatalog.standard().folders.joined(separator: ", ")))") }
        var broken = 0
        var chargers: [String] = [], meters: [String] = []
        for file in files {
            do {
                let map = try MapLoader.load(file: file)
                // the name `--map` and `southbound: { map: }` take
                let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let line = "  \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(map.vendor) — \(map.name) (\(map.quantities.count) quantities)"
                if let spec = map.charger {
                    chargers.append(line + "\n      " + spec.summary(timeout: nil))
                } else {
                    meters.append(line)
                }
            } catch {
                broken += 1
                Console.err("\(error.description)")
            }
        }
        Console.out("Chargers (driver: modbus, southbound: { map: NAME }; read --map NAME):")
        chargers.forEach { Console.out($0) }
        Console.out("Meters (meters: [{ map: NAME }]; read --map NAME):")
        meters.forEach { Console.out($0) }
        Console.out("Folder: \(MapCatalog.standard().folders.first { FileManager.default.fileExists(atPath: $0) } ?? "?")")
        if broken > 0 { throw CLIError("\(broken) map file(s) are invalid") }
    }
}

struct PortsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ports", abstract: "List the serial ports of this machine.")

    func run() throws {
        let ports = SerialPorts.list()
        if ports.isEmpty { Console.out("no serial ports found") }
        for port in ports { Console.out("\(port.name)  \(port.description)") }
    }
}
