import ArgumentParser
import Dispatch
import Foundation
import Modbus
import RegisterMaps
import Simulation
import StorageModel
import SimulatedDevices
import SiteConfiguration
import Synchronization
import EnergyControl

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a site scenario against the real control code, or serve simulated devices.",
        discussion: "chargebridge simulate --scenario etc/scenarios/sunny-day.yaml [--report json]",
        subcommands: [SimulateMeterCommand.self]
    )

    @Option(help: "Scenario file (format: etc/scenarios/README.md).") var scenario: String?
    @Option(help: "Report format: text or json.") var report = "text"
    @Option(help: "Spread the text report over this many wall-clock seconds (a day compressed into a minute: --pace 60).")
    var pace: Double?
    @Option(name: .customLong("sessions-csv"), help: "Write the charging sessions the service would record to this CSV file (times in UTC).")
    var sessionsCSV: String?
    @Option(name: .customLong("tick-interval"), help: "Report a tick every N simulated seconds (default: every meter period in JSON, 15 min in text).")
    var tickInterval: Double?

    /// The command runs on a Swift concurrency thread, whose stack is small; a long scenario in a
    /// debug build needs more, so it runs on a thread of its own.
    func run() throws {
        let result = Mutex<Result<Void, Error>>(.success(()))
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            result.withLock { $0 = Result { try runScenario() } }
            done.signal()
        }
        thread.stackSize = 64 << 20
        thread.start()
        done.wait()
        try result.withLock { $0 }.get()
    }

    private func runScenario() throws {
        // Checked here, not in validate(): `simulate meter` must not need --scenario.
        guard let scenario else { throw ValidationError("give --scenario FILE, or a subcommand (meter)") }
        guard report == "text" || report == "json" else { throw ValidationError("--report must be text or json") }
        if let tickInterval, !(tickInterval > 0) { throw ValidationError("--tick-interval must be positive") }
        let site: SiteScenario
        do { site = try ScenarioLoader.load(file: scenario) } catch { throw CLIError(error.description) }
        var simulator: SiteSimulator
        do { simulator = try SiteSimulator(scenario: site, recordSessions: sessionsCSV != nil) } catch { throw CLIError(error.description) }
        let interval = tickInterval ?? (report == "json" ? site.meterPeriod : 900)
        var nextReport = 0.0
        let ids = site.chargers.map(\.id)
        let zones = site.load?.zones.map(\.id) ?? []
        var ticks: [String] = []
        let clock = ContinuousClock()
        let started = clock.now
        let summary = simulator.run { tick in
            guard tick.time + 1e-9 >= nextReport else { return }
            nextReport += interval
            if let pace, pace > 0 {   // keep wall time in step with simulated time
                let due = started + .milliseconds(Int(tick.time / site.duration * pace * 1000))
                if due > clock.now { Thread.sleep(forTimeInterval: Double((due - clock.now).components.attoseconds) / 1e18 + Double((due - clock.now).components.seconds)) }
            }
            if report == "json" {
                ticks.append(ScenarioReport.jsonTick(tick, ids: ids, zones: zones))
            } else {
                Console.out(ScenarioReport.textTick(tick, ids: ids, zones: zones, startOfDay: site.startOfDay))
            }
        }
        let wall = clock.now - started
        if let sessionsCSV {
            let periods = SessionExport.periodColumns(configured: site.load?.timeOfUse?.periods.map(\.name) ?? [], sessions: simulator.sessions)
            let text = SessionExport.csv(simulator.sessions, periods: periods, timeZone: TimeZone(identifier: "UTC")!)
            do { try text.write(toFile: sessionsCSV, atomically: true, encoding: .utf8) } catch { throw CLIError("cannot write \(sessionsCSV): \(error)") }
        }
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        if report == "json" {
            Console.out(ScenarioReport.json(site, summary, ticks: ticks, wallSeconds: wallSeconds))
        } else {
            Console.out(ScenarioReport.text(site, summary, wallSeconds: wallSeconds))
        }
    }
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
        let server: ModbusSlaveServer
        do {
            let given = try values.map { file throws(DataFileError) in try SimulatedMeter.loadValues(file: file) } ?? [:]
            let meter = try SimulatedMeter(map: map, given: given)
            let slave = RegisterImageSlave(try meter.image())
            // a meter serves several clients at once; with --unit, other unit ids get exception 0B
            let listener = unit.map { SlaveListener(host: host, port: port, units: [UInt8($0): slave], exclusive: false) }
                ?? SlaveListener(host: host, port: port, anyUnit: slave, exclusive: false)
            server = try ModbusSlaveServer(listeners: [listener])
        } catch let error as CustomStringConvertible & Error {
            throw CLIError(error.description)
        }
        server.start()
        Console.out("serving \(map.name) on \(host):\(server.ports[0]) unit \(unit.map(String.init) ?? "any") — Ctrl-C stops")
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
