import LinkValues
import NorthboundMQTT
import OperatorStatus
import ServiceConfiguration
import DataFiles
import ArgumentParser
import Bridge
import EnergyControl
import Foundation
import Logging
import Modbus
import OperatorHTTP
import RegisterMaps
import ServiceLifecycle
import ServiceSupport
import Simulation
import SimulatedDevices
import SiteConfiguration
import Standby
import UnixSignals

/// Options shared by `run` and `demo`.
struct ServiceOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "notice"

    @Option(name: .customLong("log-format"), help: "text (default) or json: one JSON object per line with level, message and fields such as charger.")
    var logFormat = "text"

    @Option(name: .customLong("status-interval"), help: "Print one status line per charger every N seconds (0 = never).")
    var statusInterval: Double = 0

    @Option(help: "Stop after N seconds (default: run until SIGTERM/SIGINT).")
    var duration: Double?

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard statusInterval >= 0, statusInterval <= 3600 else { throw ValidationError("--status-interval must be 0…3600") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
    }

    func logger() -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "chargebridge")
    }

    /// Runs the service until SIGTERM/SIGINT (graceful shutdown) or the duration ends.
    func run(_ configuration: Configuration, banner: [String] = []) async throws {
        // the checks check-config makes, before anything opens: a failed one stops the start
        let preflight = Preflight(configuration)
        guard preflight.errors.isEmpty else { throw CLIError(preflight.errors.joined(separator: "\n")) }
        let logger = logger()
        preflight.warnings.forEach { logger.warning("\($0)") }
        if configuration.http != nil { MetricsBootstrap.start() }
        let main: any Service
        let status: @Sendable (Bool) -> SiteStatus
        do {
            let interval = statusInterval > 0 ? statusInterval : nil
            if configuration.standby != nil {
                // one of a standby pair: the service starts only while this instance holds the lease
                let coordinator = try StandbyCoordinator(configuration: configuration, logger: logger, statusInterval: interval,
                                                         statusOutput: { Console.out($0) })
                (main, status) = (coordinator, { coordinator.siteStatus(events: $0) })
            } else {
                let service = try BridgeService(configuration: configuration, logger: logger, statusInterval: interval,
                                                statusOutput: { Console.out($0) })
                (main, status) = (service, { service.siteStatus(events: $0) })
            }
        } catch {
            throw CLIError("\(error)")
        }
        banner.forEach { Console.out($0) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: main)]
        if let http = configuration.http {
            // last in the group, so the first to stop
            services.append(.init(service: OperatorServer(settings: http, registry: MetricsBootstrap.registry, version: chargebridgeVersion,
                                                          logger: logger, status: status)))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        if let duration {
            Task {
                try? await Task.sleep(for: .seconds(duration))
                await group.triggerGracefulShutdown()
            }
        }
        try await group.run()
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the service with a configuration file.")

    @Option(help: "Configuration file (YAML), e.g. etc/chargebridge.yaml.") var config: String
    @OptionGroup var standby: StandbyOptions
    @OptionGroup var options: ServiceOptions

    func run() async throws {
        guard let configuration = try standby.loadUnlessUnconfigured(config) else { return }
        try await options.run(configuration)
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file and exit.")

    @Option(help: "Configuration file (YAML).") var config: String
    @Flag(help: "The service runs with this configuration's ports: a port in use is a warning, not an error.")
    var whileRunning = false
    @OptionGroup var standby: StandbyOptions

    func run() throws {
        guard let configuration = try standby.loadUnlessUnconfigured(config) else { return }
        let preflight = Preflight(configuration, portsInUseAreWarnings: whileRunning)
        let verdict = preflight.errors.isEmpty ? "OK" : "\(preflight.errors.count) error(s), `run` would not start"
        Console.out("\(config): \(verdict) — site \"\(configuration.siteName)\", \(configuration.chargers.count) charger(s), Modbus \(configuration.northbound.mode.rawValue)")
        let zones = configuration.load?.zones ?? []
        for zone in zones {
            let kind = configuration.zoneMeters.first { $0.value == zones.firstIndex(of: zone) }.map { "dynamic (meter \($0.key))" } ?? "static"
            Console.out("  zone \(zone.id)\(zone.parent.map { " in \($0)" } ?? ""): \(zone.limit.map { String(format: "%g", $0) }.joined(separator: "/")) A, \(kind)")
        }
        let database = ProfileWaySummary.database(configuration)
        for charger in configuration.chargers {
            let listener = configuration.northbound.mode == .perCharger ? "\(charger.bind ?? configuration.northbound.bind):\(charger.port)" : "unit \(charger.unit)"
            let zone = charger.placement.zone.map { ", zone \(zones[$0].id) \(charger.placement.rotation)" } ?? ""
            let driver = charger.southbound.map { "\(charger.driver) \($0.endpoint) unit \($0.unit)" } ?? charger.driver
            Console.out("  \(charger.id): \(driver), \(charger.limits.phases)p \(charger.limits.minCurrent)…\(charger.limits.maxCurrent) A, EMS failsafe \(charger.failsafeCurrent) A after \(charger.failsafeTimeout) s, \(listener)\(zone)")
            FailsafeExplanation.lines(charger, emsExpected: configuration.emsExpected).forEach { Console.out("      " + $0) }
            FaceSummary.lines(charger, configuration).forEach { Console.out("      " + $0) }
            ProfileWaySummary.line(charger, storage: configuration.storage != nil, database: database).map { Console.out("      " + $0) }
            if let southbound = charger.southbound, let spec = southbound.map.charger {
                let name = southbound.map.file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? southbound.map.name
                Console.out("      map \(name), the charger's watchdog \(southbound.failsafeTimeout) s: \(spec.summary(timeout: Double(southbound.failsafeTimeout)))")
            }
        }
        do {
            if let mqtt = try MQTTNorthbound.summary(configuration) { Console.out("  " + mqtt) }
        } catch {
            throw CLIError("\(error)")
        }
        if let standby = configuration.standby {
            StandbyOptions.describe(standby, configuration).forEach { Console.out("  " + $0) }
        }
        if let semp = configuration.semp {
            let writers = (semp.allowWrite ?? configuration.northbound.allowWrite)?.map(\.description).joined(separator: ", ") ?? "anyone who can connect (loopback only)"
            Console.out("  semp: http://\(semp.bind):\(semp.port)/semp, SSDP \(semp.ssdpPort.map { "UDP \($0)" } ?? "off"), uuid \(configuration.sempUUID), failsafe after \(semp.timeoutSeconds) s of silence; may control: \(writers)")
        }
        if let http = configuration.http {
            Console.out("  http: http://\(http.bind):\(http.port)/ (status page, /metrics, /health; read-only, at most \(http.maxConnections) connections)")
        }
        preflight.warnings.forEach { Console.err("warning: \($0)") }
        preflight.errors.forEach { Console.err("error: \($0)") }
        if !preflight.errors.isEmpty { throw ExitCode.failure }
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the service against a simulated site: three chargers on Modbus ports 1502–1504.")

    @Option(help: "Demo configuration (default: etc/demo.yaml).") var config = "etc/demo.yaml"
    @OptionGroup var options: ServiceOptions

    func run() async throws {
        guard let file = DataLocator.locate(config) else { throw CLIError("demo configuration \(config) not found") }
        let configuration: Configuration
        do { configuration = try Configuration.load(file: file) } catch { throw CLIError(error.description) }
        var options = options
        if options.statusInterval == 0 { options.statusInterval = 3 }
        try await options.run(configuration, banner: [
            "chargebridge demo — \(configuration.chargers.count) simulated chargers, each an EVC08 Modbus TCP slave.",
            "Steer them with any EVC08-capable energy manager, e.g.:",
            "  mbpoll -m tcp -p 1502 -a 255 -0 -r 5004 -t 4 127.0.0.1 10   (set 10 A)",
            "Without a master writing the alive register (6000) each charger runs at its failsafe current.",
        ])
    }
}
