import ControlCore
import DataFiles
import EnergyControl
import LinkValues
import RegisterMaps

/// A face file (Mappings/modbus/) ready to serve: registers encoded from the bridge's values,
/// reads checked against the table, writes turned into the master contract's commands.
public struct FaceLayout: Sendable {
    public let map: RegisterMap
    public let spec: FaceSpec
    /// Quantity index by address, per function (nil = undefined register).
    private let owner: [RegisterFunction: [Int: Int]]
    /// Last defined address per function.
    private let lastAddress: [RegisterFunction: Int]

    public init(map: RegisterMap) throws(DataFileError) {
        guard let spec = map.face else {
            throw DataFileError(file: map.file ?? map.name, line: nil, field: "face", message: "not a face file: kind: face and a face: section are needed")
        }
        self.map = map
        self.spec = spec
        var owner: [RegisterFunction: [Int: Int]] = [:]
        for (index, quantity) in map.quantities.enumerated() {
            for address in quantity.address...quantity.endAddress { owner[quantity.function, default: [:]][address] = index }
        }
        self.owner = owner
        lastAddress = owner.mapValues { $0.keys.max() ?? 0 }
    }

    public static func load(file: String) throws(DataFileError) -> FaceLayout {
        try FaceLayout(map: try MapLoader.load(file: file))
    }

    /// The table's name for messages ("Bender CC613 …").
    public var name: String { map.name }

    /// Encodes the values (a value the charger does not have reads as 0).
    public func image(_ values: FaceValues) -> RegisterImage {
        var image = RegisterImage()
        for quantity in map.quantities {
            let source = quantity.writable ? spec.commands[quantity.name].map(FaceSpec.readback) : spec.shows[quantity.name]
            let registers = source.flatMap { values.value(of: $0, as: quantity) }.flatMap { try? Codec.encode($0, as: quantity) }
                ?? [UInt16](repeating: 0, count: quantity.count)
            image.set(quantity.function, address: quantity.address, values: registers)
        }
        return image
    }

    /// A read must start at a defined register and stay within the table; holes read as 0
    /// (energy managers read 1000…1019 in one request).
    public func checkRead(_ function: RegisterFunction, address: Int, count: Int) -> ModbusException? {
        // a function the table has no registers for is one the device does not implement
        guard let table = owner[function] else { return .illegalFunction }
        guard table[address] != nil, address + count - 1 <= lastAddress[function, default: -1] else { return .illegalDataAddress }
        return nil
    }

    /// A write as the master contract's commands (the watchdog's `alive` last), or the exception:
    /// 02 for a register that is not a whole writable register, 03 for a value the table does not know.
    /// - Parameter ceiling: the charger's highest current, for registers that cap at the maximum.
    public func decodeWrite(address: Int, values: [UInt16], ceiling: Int) -> Result<[MasterCommand], ModbusException> {
        guard let table = owner[.holding] else { return .failure(.illegalDataAddress) }
        var commands: [MasterCommand] = []
        var offset = 0
        while offset < values.count {
            guard let index = table[address + offset] else { return .failure(.illegalDataAddress) }
            let quantity = map.quantities[index]
            guard quantity.writable, let command = spec.commands[quantity.name], quantity.address == address + offset,
                  offset + quantity.count <= values.count else {
                return .failure(.illegalDataAddress)
            }
            guard case .success(.number(let value)) = Codec.decode(values[offset..<(offset + quantity.count)], as: quantity),
                  let meant = Self.command(command, value: value, ceiling: ceiling) else {
                return .failure(.illegalDataValue)
            }
            commands.append(meant)
            offset += quantity.count
        }
        if spec.alive == .anyWrite || spec.alive == .anyRequest { commands.append(.alive) }
        return .success(commands)
    }

    /// One register's value as a command (nil: not a value this register takes).
    static func command(_ command: FaceSpec.Command, value: Double, ceiling: Int) -> MasterCommand? {
        guard value.isFinite else { return nil }
        func amperes(_ value: Double) -> Double {
            // a finer unit (mA) rounds down to whole amperes: never more than asked
            let capped = command.capAtMaximum ? min(value, Double(ceiling)) : value
            let whole = capped.rounded()
            return abs(capped - whole) < 1e-6 ? whole : capped.rounded(.down)
        }
        switch command.meaning {
        case .current: return .current(amperes(value))
        case .failsafeCurrent: return .failsafeCurrent(amperes(value))
        case .power: return .power(value)
        case .failsafeTimeout: return .failsafeTimeout(value)
        case .alive: return .alive
        case .enable:
            if value == command.codes["on"] { return .enable(true) }
            return value == command.codes["off"] ? .enable(false) : nil
        case .phases:
            if value == command.codes["one"] { return .phases(1) }
            return value == command.codes["three"] ? .phases(3) : nil
        }
    }
}
