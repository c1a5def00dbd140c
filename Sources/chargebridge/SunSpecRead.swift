import Logging
import MeterReaders
import Modbus
import RegisterMaps
import ServiceConfiguration
import SmartMeters
import SunSpec

/// `read --map sunspec`: finds the device's SunSpec model chain and prints what each inverter,
/// meter and battery model in it gives (or the one `--sunspec-model` names), as the service reads it.
enum SunSpecRead {
    static func run(client: ModbusClient, where place: String, family named: String?, json: Bool) throws {
        let models: SunSpecModelSet
        switch Configuration.sunSpecModels() {
        case .success(let found): models = found.1
        case .failure(let problem): throw CLIError(problem.description)
        }
        let families = try named.map { name -> [SunSpecFamily] in
            guard let family = SunSpecFamily(rawValue: name) else { throw CLIError("--sunspec-model: inverter, meter or battery") }
            return [family]
        } ?? SunSpecFamily.allCases
        // what the service logs (the device found) is printed here anyway
        let logger = Logger(label: "read") { _ in SwiftLogNoOpLogHandler() }
        let discovery = SunSpecPoller(selection: SunSpecSelection(family: families[0], models: models), quantities: [], client: client,
                                      label: place, logger: logger)
        let problem: SunSpecDiscoveryError?
        do { problem = try discovery.discover() } catch { throw CLIError(error.description) }
        if let problem { throw CLIError(problem.description) }
        guard let chain = discovery.chain else { throw CLIError("no SunSpec chain") }
        var all: [Reading] = []
        var lines = ["SunSpec device at \(place) base \(chain.base)\(discovery.identity.map { ": \($0)" } ?? ""), models \(chain.models.map { String($0.id) }.joined(separator: ", "))"]
        for family in families {
            let selection = SunSpecSelection(family: family, models: models)
            guard !selection.wanted(chain).isEmpty else { continue }
            let quantities = family.quantities(standard: SmartMeterPort.standard)
            let poller = SunSpecPoller(selection: selection, quantities: quantities, client: client, label: place, logger: logger, chain: chain)
            let readings = poller.poll().readings
            // one family: the quantities' own names; several: each under its family's name
            all += families.count == 1 ? readings : readings.map { Reading(name: "\(family.rawValue).\($0.name)", unit: $0.unit, value: $0.value) }
            lines += ["\(family.rawValue):", ReadingFormatter.table(readings)]
        }
        guard !all.isEmpty else { throw CLIError("the SunSpec chain has no \(named ?? "inverter, meter or battery") model") }
        Console.out(json ? ReadingFormatter.json(all) : lines.joined(separator: "\n"))
    }
}
