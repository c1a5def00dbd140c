// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "chargebridge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chargebridge", targets: ["chargebridge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.9.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        // no default traits: swift-configuration is not used, and costs build time
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
    ],
    targets: [
        // System libraries (Debian: libmodbus-dev, libserialport-dev, libmosquitto-dev).
        .systemLibrary(name: "CModbus", path: "Sources/CModbus", pkgConfig: "libmodbus",
                       providers: [.apt(["libmodbus-dev"])]),
        .systemLibrary(name: "CSerialPort", path: "Sources/CSerialPort", pkgConfig: "libserialport",
                       providers: [.apt(["libserialport-dev"])]),
        .systemLibrary(name: "CMosquitto", path: "Sources/CMosquitto", providers: [.apt(["libmosquitto-dev"])]),

        // "did you mean …?": the known name nearest to a mistyped one. No I/O.
        .target(name: "NameSuggestion"),
        // Pure: register-map model, YAML parsing, validation, codecs, block planning. No I/O.
        .target(name: "RegisterMaps", dependencies: ["NameSuggestion", .product(name: "Yams", package: "Yams")]),
        // SunSpec as pure values: the model layouts (data from pysunspec2), discovery of the model chain,
        // points decoded with their scale factors, the bridge's quantities of an inverter, meter or battery. No I/O
        // beyond reading the model file it is handed.
        .target(name: "SunSpec", dependencies: ["RegisterMaps"]),
        // Plain values of the Modbus and MQTT links: endpoints, broker options, address ranges (allow_write),
        // register images, exception codes. No I/O and no C library: configuration and simulation link none.
        .target(name: "LinkValues", dependencies: ["RegisterMaps"]),
        // Finding and reading the data files (maps, layouts, contracts, configurations) on disk.
        .target(name: "DataFiles", dependencies: ["NameSuggestion", "RegisterMaps"]),
        // Swift wrapper of libmodbus: TCP/RTU client, TCP server.
        .target(name: "Modbus", dependencies: ["RegisterMaps", "LinkValues", "CModbus", .product(name: "CoreMetrics", package: "swift-metrics")]),
        // Swift wrapper of libserialport: a serial port opened for reading (smart meters' consumer ports), port listing.
        .target(name: "SerialLine", dependencies: ["RegisterMaps", "CSerialPort"]),
        // Smart meters' consumer-port telegrams as pure values: P1 / DSMR, Linky TIC. No I/O.
        .target(name: "SmartMeters"),
        // Swift wrapper of libmosquitto: a client with its own network thread, events as an AsyncStream.
        .target(name: "MQTT", dependencies: ["LinkValues", "CMosquitto"]),
        // What is stored, as plain values: session and event records, changes, the sessions CSV. No I/O.
        .target(name: "StorageModel", dependencies: ["NameSuggestion"]),
        // SQLite persistence (GRDB, WAL): sessions, the event log, runtime settings.
        .target(name: "Storage", dependencies: ["StorageModel", .product(name: "GRDB", package: "GRDB.swift")]),
        // Pure control logic: failsafe state machine, setpoint policy, (later) energy loops. No I/O, no clocks.
        .target(name: "EnergyControl"),
        // Parsers of the energy-loop and load-management settings, shared by the service's
        // configuration and the scenario files. No I/O beyond the YAML text handed in.
        .target(name: "SiteConfiguration", dependencies: ["NameSuggestion", "RegisterMaps", "EnergyControl"]),
        // The one control core: every decision of a control step as a pure value (the service and the
        // scenario runner both drive it). No I/O, no clocks: time comes in as parameters.
        .target(name: "ControlCore", dependencies: ["EnergyControl", "SiteConfiguration", "StorageModel"]),
        // Simulated devices: a meter (its register image), chargers with vehicles (the demo's driver, the scenario runner).
        .target(name: "SimulatedDevices", dependencies: ["RegisterMaps", "DataFiles", "LinkValues", "EnergyControl"]),
        // Simulated sites: scenario files and the runner that plays them in simulated time.
        .target(name: "Simulation", dependencies: ["RegisterMaps", "DataFiles", "EnergyControl", "SiteConfiguration", "SimulatedDevices", "ControlCore", "StorageModel"]),
        // The service's configuration file: every section parsed and validated (file:line:field errors).
        .target(name: "ServiceConfiguration", dependencies: [
            "NameSuggestion", "RegisterMaps", "DataFiles", "LinkValues", "EnergyControl", "SiteConfiguration", "SimulatedDevices", "ControlCore", "SmartMeters",
            "SunSpec", "Authorization",
        ]),
        // Who may charge, as pure values: UID normalisation (case, byte order, postfix), the local
        // list with its versions and updates, modes per site, zone and charger, the decision. No I/O.
        .target(name: "Authorization"),
        // OCPP 1.6J and 2.0.1 as pure values: frames, payload validation, each version's session and
        // message set under one version-neutral control, the profile stack, tags decided through the
        // `TagAuthorizer` hook, one outstanding call at a time. No I/O; time comes in as parameters.
        .target(name: "OCPP", dependencies: ["EnergyControl", "Authorization"]),
        // The CPO uplink as pure values: a forwarded charger as an OCPP 1.6J charge point toward a backend
        // (boot, status, transactions in a journal kept across outages, the backend's profiles as a cap). No I/O.
        .target(name: "OCPPUplink", dependencies: ["OCPP", "EnergyControl", "StorageModel", "Authorization"]),
        // What the NIO servers (HTTP, SEMP, OCPP) share: accepts paused while out of file descriptors.
        .target(name: "NIOServerSupport", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The OCPP central system's WebSocket server (SwiftNIO, NIOWebSocket, NIOSSL).
        .target(name: "OCPPServer", dependencies: [
            "NIOServerSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The CPO uplink's WebSocket client (SwiftNIO, NIOWebSocket, NIOSSL): one per forwarded charger,
        // reconnecting with a bounded backoff, driving the pure UplinkMachine.
        .target(name: "OCPPUplinkClient", dependencies: [
            "Authorization", "OCPP", "OCPPServer", "OCPPUplink", "EnergyControl", "ServiceSupport", "StorageModel",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // What the parts of the running service share, so that they need not depend on each other: the
        // ChargerDriver protocol, PolledDevice, the metric names; worker threads, the monotonic clock, the
        // change signal, log coalescing, sorted JSON, the release's version. No I/O of its own, no C library.
        .target(name: "ServiceSupport", dependencies: [
            "EnergyControl", "RegisterMaps", "SunSpec", "Authorization",
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // A charger's Modbus faces as pure values: its register image from the control's view, a master's
        // writes decoded into commands. No I/O, no C library.
        .target(name: "FaceLayouts", dependencies: ["RegisterMaps", "DataFiles", "LinkValues", "EnergyControl", "ControlCore", "ServiceConfiguration"]),
        // A standby pair's lease as pure values: the lease state machine, the lease record, the topics, this
        // instance's leadership status. No I/O: the coordinator (Standby) feeds it the broker's messages.
        .target(name: "StandbyLease", dependencies: ["ServiceConfiguration", "ServiceSupport"]),
        // The site at run time: the control core behind its lock (steps, masters' requests, operator
        // commands), each charger as energy managers see it, the meters' last values, the recorder and the
        // saved settings (SQLite, through Storage).
        .target(name: "SiteRuntime", dependencies: [
            "RegisterMaps", "LinkValues", "EnergyControl", "SiteConfiguration", "ControlCore", "ServiceConfiguration", "Storage", "StorageModel",
            "ServiceSupport", "FaceLayouts", "Authorization",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // The chargers' drivers (southbound): Modbus (libmodbus, a thread each), OCPP (1.6J, 2.0.1) with the central
        // system that admits the charge points, and the simulated charger. Statuses in, setpoints out.
        .target(name: "ChargerDrivers", dependencies: [
            "RegisterMaps", "LinkValues", "Modbus", "EnergyControl", "ServiceConfiguration", "SimulatedDevices", "OCPP", "OCPPServer",
            "ServiceSupport", "Authorization",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The site's meters and inputs, each reader on a thread of its own: Modbus buses (libmodbus) and smart
        // meters' consumer ports (libserialport), delivering readings with their PolledDevice.
        .target(name: "MeterReaders", dependencies: [
            "RegisterMaps", "LinkValues", "Modbus", "SerialLine", "SmartMeters", "EnergyControl", "ServiceConfiguration",
            "ServiceSupport", "SunSpec",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // The faces energy managers steer the site through: each charger's Modbus tables and the zone setpoint
        // block (handlers of the Modbus server), and the SEMP face (a backend of the SEMP server).
        .target(name: "Faces", dependencies: [
            "RegisterMaps", "LinkValues", "Modbus", "EnergyControl", "ControlCore", "ServiceConfiguration", "SEMP", "SEMPServer",
            "ServiceSupport", "FaceLayouts", "SiteRuntime",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The MQTT face (libmosquitto): retained state of the site, chargers, meters, zones and inputs, commands,
        // Home Assistant discovery after the topic contract; and the meters whose values arrive over MQTT.
        .target(name: "NorthboundMQTT", dependencies: [
            "RegisterMaps", "DataFiles", "LinkValues", "MQTT", "EnergyControl", "ControlCore", "ServiceConfiguration", "SmartMeters",
            "ServiceSupport", "SiteRuntime", "Authorization",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // What the operator is shown, as plain values: the site's status (status page, /metrics) and the
        // health summary. No I/O, no C library: the HTTP endpoint renders them without linking the service.
        .target(name: "OperatorStatus", dependencies: ["StorageModel", "StandbyLease", "ServiceSupport"]),
        // The composition root: the configuration wired into a running service (runtime, drivers, meter
        // readers, Modbus listeners, faces, MQTT, SEMP, OCPP), its timer, start and stop, health and status.
        .target(name: "Bridge", dependencies: [
            "RegisterMaps", "DataFiles", "LinkValues", "Modbus", "EnergyControl", "ControlCore", "ServiceConfiguration", "Storage", "StorageModel",
            "SEMPServer", "ServiceSupport", "FaceLayouts", "StandbyLease", "SiteRuntime", "ChargerDrivers", "MeterReaders", "Faces", "NorthboundMQTT",
            "OperatorStatus", "OCPP", "OCPPUplink", "OCPPUplinkClient", "Authorization",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // A standby pair's coordinator: holds the lease on the broker (libmosquitto) and starts or stops this
        // instance's BridgeService as it leads or stands by.
        .target(name: "Standby", dependencies: [
            "Bridge", "OperatorStatus", "StandbyLease", "NorthboundMQTT", "SiteRuntime", "ServiceSupport", "ServiceConfiguration", "ControlCore",
            "RegisterMaps", "LinkValues", "MQTT", "Storage", "StorageModel",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The operator's read-only HTTP endpoint: /metrics (Prometheus), /health and the status page.
        .target(name: "OperatorHTTP", dependencies: [
            "OperatorStatus", "StandbyLease", "ServiceConfiguration", "StorageModel", "NIOServerSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // SEMP (SMA Simple Energy Management Protocol) as pure values: Device2EM / EM2Device XML, the
        // UPnP device description, SSDP search answers and announcements. No I/O.
        .target(name: "SEMP", dependencies: []),
        // The SEMP face towards an SMA Sunny Home Manager: HTTP (Hummingbird) and SSDP search answers (UDP).
        .target(name: "SEMPServer", dependencies: [
            "SEMP", "NIOServerSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Command-line interface only.
        .executableTarget(name: "chargebridge", dependencies: [
            "NameSuggestion", "RegisterMaps", "DataFiles", "LinkValues", "Modbus", "EnergyControl", "Simulation", "SimulatedDevices", "SiteConfiguration", "Storage", "StorageModel",
            "ControlCore", "ServiceConfiguration", "SerialLine", "SmartMeters", "ServiceSupport", "StandbyLease", "NorthboundMQTT", "OperatorStatus", "Bridge", "Standby",
            "OperatorHTTP", "MeterReaders", "SunSpec",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Benchmarks (run by Benchmarks/run.sh, not by the test suite).
        .executableTarget(name: "PollBenchmark", dependencies: ["RegisterMaps", "DataFiles", "LinkValues", "Modbus", "SimulatedDevices"],
                          path: "Benchmarks/PollBenchmark"),

        .executableTarget(name: "AllocationBenchmark", dependencies: ["EnergyControl"],
                          path: "Benchmarks/AllocationBenchmark"),

        .executableTarget(name: "PlannerBenchmark", dependencies: ["EnergyControl"], path: "Benchmarks/planner", exclude: ["run.sh"]),

        .executableTarget(name: "StorageBenchmark", dependencies: ["Storage", "StorageModel"], path: "Benchmarks/StorageBenchmark"),

        .executableTarget(name: "StatusPageBenchmark", dependencies: ["OperatorHTTP", "OperatorStatus", "StorageModel"],
                          path: "Benchmarks/StatusPageBenchmark"),

        .testTarget(name: "StorageTests", dependencies: ["Storage", "StorageModel", "NameSuggestion", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "RegisterMapsTests", dependencies: ["NameSuggestion", "RegisterMaps", "DataFiles"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EnergyControlTests", dependencies: ["EnergyControl"]),
        .testTarget(name: "SunSpecTests", dependencies: ["SunSpec", "RegisterMaps"]),
        .testTarget(name: "SmartMetersTests", dependencies: ["SmartMeters"]),
        .testTarget(name: "OCPPTests", dependencies: ["OCPP", "EnergyControl", "Authorization"]),
        .testTarget(name: "OCPPUplinkTests", dependencies: ["OCPPUplink", "OCPP", "EnergyControl", "StorageModel", "Authorization"]),
        .testTarget(name: "AuthorizationTests", dependencies: ["Authorization", "ServiceConfiguration", "RegisterMaps", "EnergyControl"]),
        .testTarget(name: "ControlPropertyTests", dependencies: ["DataFiles", "EnergyControl", "ControlCore", "Simulation", "SimulatedDevices", "SiteConfiguration", "RegisterMaps"]),
        .testTarget(name: "BridgeTests", dependencies: [
            "DataFiles", "LinkValues", "Modbus", "ServiceConfiguration", "ControlCore", "Simulation", "SimulatedDevices", "SiteConfiguration",
            "EnergyControl", "RegisterMaps", "Storage", "StorageModel", "ServiceSupport", "FaceLayouts", "StandbyLease", "SiteRuntime",
            "ChargerDrivers", "MeterReaders", "NorthboundMQTT", "Bridge",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SEMPTests", dependencies: ["SEMP", "SEMPServer"]),
        .testTarget(name: "OperatorStatusTests", dependencies: ["OperatorStatus", "OperatorHTTP", "StorageModel"]),
        .testTarget(name: "IntegrationTests", dependencies: ["DataFiles", "RegisterMaps", "LinkValues", "Modbus", "Storage", "StorageModel"]),
    ],
    swiftLanguageModes: [.v6]
)

// Only modules a file imports lend it members and operators: GRDB (behind Storage) must not turn
// a string concatenation elsewhere into SQL.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
