import RegisterMaps

/// Exception codes a slave answers with.
public enum ModbusException: UInt8, Error, Sendable {
    case illegalFunction = 1
    case illegalDataAddress = 2
    case illegalDataValue = 3
    case serverDeviceFailure = 4
    case gatewayTargetFailed = 11
}

/// One device behind a listener: answers reads and writes and tells the server when its master
/// must be disconnected. Called from the server's thread; implementations guard their own state.
public protocol ModbusSlaveHandler: AnyObject, Sendable {
    func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException>
    /// Applies all values or none.
    func write(address: Int, values: [UInt16]) -> ModbusException?
    /// A connection became this device's master. `replaced` is true when an older one was closed for it.
    func masterConnected(peer: String, replaced: Bool)
    /// The master's connection ended (closed by the client, dropped for a protocol error or failsafe).
    func masterDisconnected(peer: String, reason: String)
    /// Grows by one every time the device enters failsafe; the server closes the master's socket
    /// when this has grown since the master connected.
    var failsafeEntries: Int { get }
}

/// A listening socket and the devices it serves.
public struct SlaveListener: Sendable {
    public var host: String
    public var port: Int
    /// Devices by unit id (gateway mode), or one device answering every unit id (`anyUnit`).
    public var units: [UInt8: any ModbusSlaveHandler]
    public var anyUnit: (any ModbusSlaveHandler)?
    /// One master at a time, the newest wins (EVC08); false lets several clients share the listener.
    public var exclusive: Bool

    public init(host: String, port: Int, units: [UInt8: any ModbusSlaveHandler] = [:], anyUnit: (any ModbusSlaveHandler)? = nil,
                exclusive: Bool = true) {
        self.host = host
        self.port = port
        self.units = units
        self.anyUnit = anyUnit
        self.exclusive = exclusive
    }

    func handler(unit: UInt8) -> (any ModbusSlaveHandler)? { anyUnit ?? units[unit] }
    var handlers: [any ModbusSlaveHandler] { anyUnit.map { [$0] } ?? Array(units.values) }
}
