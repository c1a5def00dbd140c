import DataFiles
import Modbus
import RegisterMaps

/// The northbound slave register layout (Mappings/modbus/evc08.yaml) and its read/write rules.
public struct SlaveLayout: Sendable {
    public let map: RegisterMap
    /// Input quantities the bridge fills from the charger.
    public static let provided: Set<String> = [
        "identity.serial", "identity.brand", "identity.model", "identity.firmware", "charger.rated_power", "charger.three_phase",
        "status.charge_point", "status.charging", "status.equipment", "status.cable", "status.fault_code",
        "current.l1", "current.l2", "current.l3", "voltage.l1", "voltage.l2", "voltage.l3",
        "power.total", "power.l1", "power.l2", "power.l3", "energy.import",
        "session.max_current", "limits.min_current", "limits.max_current", "limits.cable_max_current",
        "session.energy", "session.duration", "session.id_tag",
    ]
    /// Holding registers an energy manager writes.
    public static let commands: Set<String> = ["ems.phases", "ems.failsafe_current", "ems.failsafe_timeout", "ems.charging_current", "ems.alive"]

    /// Quantity index by address, per function (nil = undefined register).
    private let owner: [RegisterFunction: [Int: Int]]
    /// Last defined address per function.
    private let lastAddress: [RegisterFunction: Int]

    public init(map: RegisterMap) throws(DataFileError) {
        for quantity in map.quantities {
            let known = quantity.writable ? Self.commands : Self.provided
            guard known.contains(quantity.name), quantity.function == (quantity.writable ? .holding : .input) else {
                throw DataFileError(file: map.file ?? map.name, line: nil, field: "quantities.\(quantity.name)",
                                    message: "the bridge does not provide this quantity as \(quantity.writable ? "a writable holding" : "an input") register")
            }
        }
        self.map = map
        var owner: [RegisterFunction: [Int: Int]] = [:]
        for (index, quantity) in map.quantities.enumerated() {
            for address in quantity.address...quantity.endAddress { owner[quantity.function, default: [:]][address] = index }
        }
        self.owner = owner
        lastAddress = owner.mapValues { $0.keys.max() ?? 0 }
    }

    public static func load(file: String) throws(DataFileError) -> SlaveLayout {
        try SlaveLayout(map: try MapLoader.load(file: file))
    }

    /// Encodes the given values (missing ones read as 0).
    public func image(_ values: [String: Value]) -> RegisterImage {
        var image = RegisterImage()
        for quantity in map.quantities {
            let registers = values[quantity.name].flatMap { try? Codec.encode($0, as: quantity) } ?? [UInt16](repeating: 0, count: quantity.count)
            image.set(quantity.function, address: quantity.address, values: registers)
        }
        return image
    }

    /// A read must start at a defined register and stay within the layout; holes read as 0
    /// (energy managers read 1000…1019 in one request).
    public func checkRead(_ function: RegisterFunction, address: Int, count: Int) -> ModbusException? {
        // A function the layout has no registers for is one the device does not implement.
        guard let table = owner[function] else { return .illegalFunction }
        guard table[address] != nil, address + count - 1 <= lastAddress[function, default: -1] else { return .illegalDataAddress }
        return nil
    }

    /// Splits a write into whole writable quantities with their decoded values, or the exception.
    public func decodeWrite(address: Int, values: [UInt16]) -> Result<[(name: String, value: Double)], ModbusException> {
        guard let table = owner[.holding] else { return .failure(.illegalDataAddress) }
        var decoded: [(name: String, value: Double)] = []
        var offset = 0
        while offset < values.count {
            guard let index = table[address + offset] else { return .failure(.illegalDataAddress) }
            let quantity = map.quantities[index]
            guard quantity.writable, quantity.address == address + offset, offset + quantity.count <= values.count else {
                return .failure(.illegalDataAddress)
            }
            guard case .success(.number(let value)) = Codec.decode(values[offset..<(offset + quantity.count)], as: quantity) else {
                return .failure(.illegalDataValue)
            }
            decoded.append((quantity.name, value))
            offset += quantity.count
        }
        return .success(decoded)
    }
}
