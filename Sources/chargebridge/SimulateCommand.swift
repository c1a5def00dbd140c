import ArgumentParser
import Dispatch
import Foundation
import Modbus
import RegisterMaps
import Simulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run simulated devices, so EMS builders and tests have hardware without hardware.",
        subcommands: [SimulateMeterCommand.self]
    )
}

struct SimulateMeterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meter",
        abstract: "Serve a register map over Modbus TCP with given or generated values."
    )

    @OptionGroup var mapOption: MapOption
    @Option(help: "TCP port to listen on (0 picks a free one).") var port: Int
    @Option(help: "Address to bind (loopback by default).") var host = "127.0.0.1"
    @Option(help: "Answer only this unit id (default: every unit id).") var unit: Int?
    @Option(help: "YAML file of values: quantity name → value in SI units.") var values: String?

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0…65535") }
        if let unit, !(0...255).contains(unit) { throw ValidationError("--unit must be 0…255") }
    }

    func run() throws {
        let map = try mapOption.load()
        let server: ModbusTCPServer
        do {
            let given = try values.map { file throws(DataFileError) in try SimulatedMeter.loadValues(file: file) } ?? [:]
            let meter = try SimulatedMeter(map: map, given: given)
            server = try ModbusTCPServer(host: host, port: port, image: try meter.image(), unit: unit)
        } catch let error as CustomStringConvertible & Error {
            throw CLIError(error.description)
        }
        server.start()
        Console.out("serving \(map.name) on \(host):\(server.port) unit \(unit.map(String.init) ?? "any") — Ctrl-C stops")
        SignalWaiter.waitForTermination()
        server.stop()
        Console.out("stopped")
    }
}

/// Blocks until SIGINT or SIGTERM.
enum SignalWaiter {
    static func waitForTermination() {
        let done = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        sources.forEach { $0.cancel() }
    }
}
