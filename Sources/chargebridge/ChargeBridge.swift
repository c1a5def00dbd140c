import ArgumentParser

@main
struct ChargeBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargebridge",
        abstract: "Connects EV chargers, electricity meters and the systems that steer them.",
        subcommands: [ReadCommand.self, MapsCommand.self, PortsCommand.self, SimulateCommand.self]
    )
}
