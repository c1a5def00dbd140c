import ArgumentParser
import Bridge
import ServiceSupport

@main
struct ChargeBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargebridge",
        abstract: "Connects EV chargers, electricity meters and the systems that steer them.",
        version: "chargebridge \(chargebridgeVersion)",
        subcommands: [RunCommand.self, CheckConfigCommand.self, DemoCommand.self, ReadCommand.self, MapsCommand.self, PortsCommand.self, SimulateCommand.self, SessionsCommand.self, EventsCommand.self]
    )
}
