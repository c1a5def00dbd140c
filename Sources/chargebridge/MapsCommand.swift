import DataFiles
import Modbus
import ArgumentParser
import RegisterMaps

struct MapsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "maps", abstract: "List the known register maps (and check them).")

    func run() throws {
        let files = MapCatalog.standard().files()
        guard !files.isEmpty else { throw CLIError("no register maps found (looked in \(MapCatalog.standard().folders.joined(separator: ", ")))") }
        var broken = 0
        for file in files {
            do {
                let map = try MapLoader.load(file: file)
                Console.out("\(file)  \(map.kind)  \(map.vendor) — \(map.name)  (\(map.quantities.count) quantities)")
            } catch {
                broken += 1
                Console.err("\(error.description)")
            }
        }
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
