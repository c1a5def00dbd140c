import Foundation
import RegisterMaps
import SerialLine
import ServiceConfiguration
import SmartMeters

/// `read --p1 DEVICE` / `read --tic DEVICE`: listens to a smart meter's port until one valid
/// telegram arrives and prints its values; dropped telegrams are reported with the reason.
enum SmartMeterRead {
    static func run(port: SmartMeterPort, device: String, dsmr: String?, json: Bool, wait: Double) throws {
        let line: SerialLine
        do { line = try SerialLine(device: device, settings: SmartMeterPort.defaultSerial(port, dsmr: dsmr)) } catch {
            throw CLIError("\(error)")
        }
        var decoder: any TelegramDecoder = switch port {
        case .p1(let legacy): DSMRDecoder(crcRequired: !legacy)
        case .tic(let standard): TICDecoder(mode: standard ? .standard : .historique)
        }
        let units = Dictionary(port.map.quantities.map { ($0.name, $0.unit.siSymbol) }, uniquingKeysWith: { a, _ in a })
        let deadline = Date().addingTimeInterval(wait)
        var dropped = 0
        while Date() < deadline {
            let bytes: [UInt8]
            do { bytes = try line.read(timeoutMilliseconds: 200) } catch { throw CLIError("\(error)") }
            for result in decoder.feed(bytes) {
                switch result {
                case .rejected(let reason):
                    dropped += 1
                    Console.err("telegram dropped: \(reason)")
                case .values(let values):
                    let readings = values.sorted { $0.key < $1.key }.map { Reading(name: $0.key, unit: units[$0.key] ?? "", value: .success(.number($0.value))) }
                    if json {
                        Console.out(ReadingFormatter.json(readings))
                    } else {
                        Console.out("\(SmartMeterPort.label(port)) on \(device)\(dropped > 0 ? " (\(dropped) telegram(s) dropped first)" : "")")
                        Console.out(ReadingFormatter.table(readings))
                    }
                    return
                }
            }
        }
        throw CLIError("no valid telegram on \(device) within \(Int(wait)) s\(dropped > 0 ? " (\(dropped) dropped)" : "") — check the cable, the port and --dsmr / --tic-mode")
    }
}
