import StorageModel
import EnergyControl
import OCPPUplink

/// What a forwarded charger's uplink asks of the bridge. Called on the uplink's event loop;
/// implementations must not block it for long.
public protocol UplinkHost: AnyObject, Sendable {
    /// The charger's latest status (nil: none yet).
    func uplinkStatus() -> ChargerStatus?
    /// Changes of the journal and the kept state, to be written in this order.
    func uplinkStore(_ changes: [UplinkStoreChange])
    func uplinkCommand(_ command: UplinkMachine.Command)
    /// The backend's cap changed (nil: none): one more cap for load management.
    func uplinkCap(_ amperes: Int?)
    /// Connected, booted, queued messages: for MQTT and the status page.
    func uplinkState(_ state: UplinkState)
}

/// A forwarded charger's uplink as the operator sees it.
public struct UplinkState: Sendable, Equatable {
    public var connected = false
    public var booted = false
    public var queued = 0
    public var cap: Int?
    public init() {}
}
