import LinkValues
import RegisterMaps

/// One device behind a listener: answers reads and writes and tells the server when its master
/// must be disconnected. Called from the server's thread; implementations guard their own state.
public protocol ModbusSlaveHandler: AnyObject, Sendable {
    func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException>
    /// Applies all values or none. `peer` is the writer ("address:port").
    func write(address: Int, values: [UInt16], peer: String) -> ModbusException?
    /// A connection became this device's master. `replaced` is true when an older one was closed for it.
    func masterConnected(peer: String, replaced: Bool)
    /// The master's connection ended (closed by the client, dropped for a protocol error or failsafe),
    /// or a newer writer took over.
    func masterDisconnected(peer: String, reason: String)
    /// A write from `peer` was refused (a read-only listener, or an address not in `allow_write`).
    func writeRefused(peer: String, reason: String)
    /// Grows by one every time the device's master is dropped (it entered failsafe, or a master on
    /// another channel took over); the server closes the master's socket when this has grown since
    /// the master connected.
    var masterDrops: Int { get }
    /// Why the newest drop happened (for the log).
    var dropReason: String { get }
    /// Handlers with the same group share one master, on every listener (the faces of one charger).
    var masterGroup: ObjectIdentifier { get }
    /// The device's master read from it (tables whose watchdog counts any request).
    func masterRead()
}

extension ModbusSlaveHandler {
    public func writeRefused(peer _: String, reason _: String) {}
    public var dropReason: String { "failsafe: the master was silent longer than the failsafe timeout" }
    public var masterGroup: ObjectIdentifier { ObjectIdentifier(self) }
    public func masterRead() {}
}

/// A listening socket and the devices it serves.
public struct SlaveListener: Sendable {
    public var host: String
    public var port: Int
    /// Devices by unit id (gateway mode), or one device answering every unit id (`anyUnit`).
    public var units: [UInt8: any ModbusSlaveHandler]
    public var anyUnit: (any ModbusSlaveHandler)?
    /// One master per device, the newest writer wins (EVC08), readers beside it; false lets
    /// several clients share the listener with no master at all (a simulated meter).
    public var exclusive: Bool
    /// Who may write (nil: anyone who can connect).
    public var allowWrite: [AddressRange]?
    /// No writes at all.
    public var readOnly = false
    /// Connections from addresses that may not write served beside the masters (0: none); the
    /// oldest gives way to a newcomer. See `ConnectionAdmission`.
    public var maxReaders = 8

    public init(host: String, port: Int, units: [UInt8: any ModbusSlaveHandler] = [:], anyUnit: (any ModbusSlaveHandler)? = nil,
                exclusive: Bool = true, allowWrite: [AddressRange]? = nil, readOnly: Bool = false, maxReaders: Int = 8) {
        self.host = host
        self.port = port
        self.units = units
        self.anyUnit = anyUnit
        self.exclusive = exclusive
        self.allowWrite = allowWrite
        self.readOnly = readOnly
        self.maxReaders = maxReaders
    }

    /// The device behind a unit id, and the master slot it belongs to (0 for a listener of one device).
    func slot(unit: UInt8) -> UInt8 { anyUnit == nil ? unit : 0 }
    func handler(slot: UInt8) -> (any ModbusSlaveHandler)? { anyUnit ?? units[slot] }

    /// Why `address` may not write here (nil: it may).
    func refusal(for address: [UInt8]) -> String? {
        if readOnly { return "the listener is read-only" }
        if let allowWrite, !allowWrite.contains(where: { $0.contains(address) }) { return "the address is not in allow_write" }
        return nil
    }

    /// No `allow_write` and not read-only: a connection's address does not tell a writer from a reader.
    var everyoneMayWrite: Bool { allowWrite == nil && !readOnly }

    var handlers: [any ModbusSlaveHandler] { anyUnit.map { [$0] } ?? Array(units.values) }
}
