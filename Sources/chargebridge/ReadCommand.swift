import ArgumentParser
import Foundation
import LinkValues
import Modbus
import RegisterMaps
import ServiceConfiguration

struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Read every quantity of a device through its register map.",
        discussion: """
            Examples:
              chargebridge read --map pac2200 --tcp 10.0.0.5:502 --unit 1
              chargebridge read --map cvm-mini --rtu /dev/ttyUSB0 --baud 19200 --parity N --unit 1 --json
              chargebridge read --map keba-p30 --tcp 10.0.0.7:502     (a charger: also its status and setpoint)
              chargebridge read --map sunspec --tcp 10.0.0.9:502      (any SunSpec inverter, meter or battery)
              chargebridge read --p1 /dev/ttyUSB0 [--dsmr 2.2]        (a smart meter's P1 port: one telegram)
              chargebridge read --tic /dev/ttyAMA0 --tic-mode standard  (a Linky's TIC output)
            """
    )

    @OptionGroup var mapOption: MapOption

    @Option(name: .long, help: "Modbus TCP device or gateway as HOST:PORT (port defaults to the map's).")
    var tcp: String?

    @Option(name: .long, help: "Serial device for Modbus RTU, e.g. /dev/ttyUSB0.")
    var rtu: String?

    @Option(help: "RTU baud rate (default: the map's).") var baud: Int?
    @Option(help: "RTU parity N, E or O (default: the map's).") var parity: String?
    @Option(name: .customLong("data-bits"), help: "RTU data bits (default: the map's).") var dataBits: Int?
    @Option(name: .customLong("stop-bits"), help: "RTU stop bits (default: the map's).") var stopBits: Int?

    @Option(help: "A smart meter's P1 port (DSMR): print the values of its next valid telegram.") var p1: String?
    @Option(help: "The P1 port's DSMR version: 5, 4, e-mucs (115200 8N1) or 2.2, 3 (9600 7E1).") var dsmr = "5"
    @Option(help: "A Linky's TIC output: print the values of its next valid frame.") var tic: String?
    @Option(name: .customLong("tic-mode"), help: "historique (1200 7E1) or standard (9600 7E1).") var ticMode = "historique"
    @Option(name: .customLong("wait-s"), help: "Smart meters: give up after this many seconds without a valid telegram.") var waitSeconds = 15.0

    @Option(help: "Unit id (slave address); default: the map's.") var unit: Int?
    @Option(name: .customLong("timeout-ms"), help: "Response timeout in ms (default: the map's).") var timeoutMs: Int?

    @Option(name: .customLong("sunspec-model"), help: "With --map sunspec: only the inverter, meter or battery model (default: each found).")
    var sunspecModel: String?

    @Flag(help: "Print one JSON object {\"name\": value|null} in SI units.") var json = false
    @Flag(help: "Print requests per poll and poll time.") var stats = false
    @Option(help: "Number of polls (the last one is printed; --stats averages them).") var polls = 1
    @Flag(name: .customLong("one-request-per-quantity"), help: "Do not coalesce quantities into blocks (for comparison).")
    var oneRequestPerQuantity = false

    func validate() throws {
        if p1 != nil || tic != nil {
            guard [p1, tic, tcp, rtu].compactMap({ $0 }).count == 1, mapOption.map == nil else {
                throw ValidationError("--p1 or --tic read a smart meter's own port: without --map, --tcp or --rtu")
            }
            guard ["2.2", "3", "4", "5", "e-mucs"].contains(dsmr) else { throw ValidationError("--dsmr: 2.2, 3, 4, 5 or e-mucs") }
            guard ["historique", "standard"].contains(ticMode) else { throw ValidationError("--tic-mode: historique or standard") }
            guard (1...300).contains(waitSeconds) else { throw ValidationError("--wait-s must be 1…300") }
            return
        }
        if (tcp == nil) == (rtu == nil) { throw ValidationError("give exactly one of --tcp HOST:PORT or --rtu DEVICE") }
        if sunspecModel != nil, mapOption.map != "sunspec" { throw ValidationError("--sunspec-model goes with --map sunspec") }
        if tcp != nil, baud != nil || parity != nil || dataBits != nil || stopBits != nil {
            throw ValidationError("--baud, --parity, --data-bits and --stop-bits apply to --rtu only")
        }
        if let unit, !(0...255).contains(unit) { throw ValidationError("--unit must be 0…255") }
        if let timeoutMs, !(10...60_000).contains(timeoutMs) { throw ValidationError("--timeout-ms must be 10…60000") }
        if !(1...100_000).contains(polls) { throw ValidationError("--polls must be 1…100000") }
    }

    func run() throws {
        if let p1 { return try SmartMeterRead.run(port: .p1(dsmr: dsmr), device: p1, dsmr: dsmr, json: json, wait: waitSeconds) }
        if let tic { return try SmartMeterRead.run(port: .tic(standard: ticMode == "standard"), device: tic, dsmr: nil, json: json, wait: waitSeconds) }
        if mapOption.map == "sunspec" { return try readSunSpec() }
        let map = try mapOption.load()
        let endpoint = try endpoint(for: map)
        let timeout = Duration.milliseconds(timeoutMs ?? map.transport.timeoutMilliseconds)
        let poller: DevicePoller
        do {
            let client = try ModbusClient(endpoint: endpoint, unit: unit ?? map.transport.unit, timeout: timeout)
            try client.connect()
            poller = DevicePoller(map: map, client: client, coalesce: !oneRequestPerQuantity)
        } catch {
            throw CLIError(error.description)
        }
        var outcomes: [PollOutcome] = []
        for _ in 0..<polls { outcomes.append(poller.poll()) }
        let last = outcomes[outcomes.count - 1]
        if json {
            var object = ReadingFormatter.json(last.readings)
            if let spec = map.charger { object = String(object.dropLast()) + ", " + ChargerReadout.json(spec, last.readings) + "}" }
            Console.out(object)
        } else {
            Console.out("\(map.name) at \(endpoint) unit \(unit ?? map.transport.unit)")
            Console.out(ReadingFormatter.table(last.readings))
            if let spec = map.charger { ChargerReadout.lines(spec, last.readings).forEach { Console.out($0) } }
        }
        if stats {
            var line = ReadingFormatter.stats(outcomes, quantities: map.quantities.count)
            if map.charger != nil {
                line += "\nstats: the charger driver's status poll: \(map.chargerStatusRequests) requests for \(map.chargerStatusQuantities.count) quantities (identity once per connection)"
            }
            if json { Console.err(line) } else { Console.out(line) }
        }
        if last.readings.allSatisfy({ $0.failedToRead }) {
            throw CLIError("the device gave no value (\(last.readings.first.flatMap { if case .failure(let reason) = $0.value { "\(reason)" } else { nil } } ?? "no quantities"))")
        }
    }

    /// `--map sunspec`: the model chain is found on the device.
    func readSunSpec() throws {
        let defaults = RegisterMap(name: "sunspec", quantities: [])
        let endpoint = try endpoint(for: defaults)
        let client: ModbusClient
        do {
            client = try ModbusClient(endpoint: endpoint, unit: unit ?? defaults.transport.unit,
                                      timeout: .milliseconds(timeoutMs ?? defaults.transport.timeoutMilliseconds))
            try client.connect()
        } catch {
            throw CLIError(error.description)
        }
        try SunSpecRead.run(client: client, where: "\(endpoint) unit \(unit ?? defaults.transport.unit)", family: sunspecModel, json: json)
    }

    func endpoint(for map: RegisterMap) throws -> Endpoint {
        if let tcp {
            guard let endpoint = Endpoint.parseTCP(tcp, defaultPort: map.transport.tcpPort) else {
                throw CLIError("--tcp expects HOST:PORT, got \"\(tcp)\"")
            }
            return endpoint
        }
        var serial = map.transport.serial
        if let baud { serial.baud = baud }
        if let parity {
            guard let value = Parity(rawValue: parity.uppercased()) else { throw CLIError("--parity must be N, E or O") }
            serial.parity = value
        }
        if let dataBits { serial.dataBits = dataBits }
        if let stopBits { serial.stopBits = stopBits }
        return .rtu(device: rtu!, serial: serial)
    }
}

extension Reading {
    /// The request failed (as opposed to the device saying "not available").
    var failedToRead: Bool {
        if case .failure(.readFailed) = value { return true }
        return false
    }
}
