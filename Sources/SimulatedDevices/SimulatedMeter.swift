import DataFiles
import Foundation
import LinkValues
import RegisterMaps

/// A meter that does not exist: a register map's quantities with chosen or plausible values,
/// encoded exactly as the real device would send them.
public struct SimulatedMeter: Sendable {
    public let map: RegisterMap
    public private(set) var values: [String: Value]

    /// - Parameter given: values to serve (SI units); every other quantity gets a plausible value.
    public init(map: RegisterMap, given: [String: Value] = [:]) throws(DataFileError) {
        self.map = map
        var values: [String: Value] = [:]
        for quantity in map.quantities {
            values[quantity.name] = given[quantity.name] ?? SimulatedMeter.plausibleValue(for: quantity, map: map)
        }
        for name in given.keys where map.quantity(named: name) == nil {
            throw DataFileError(file: map.file ?? map.name, line: nil, field: name, message: "the map has no quantity of that name")
        }
        self.values = values
    }

    /// The registers a client reads from this meter.
    public func image() throws(Codec.EncodeError) -> RegisterImage {
        var image = RegisterImage()
        for quantity in map.quantities {
            guard let value = values[quantity.name] else { continue }
            image.set(quantity.function, address: quantity.address, values: try Codec.encode(value, as: quantity))
        }
        return image
    }

    /// Values a healthy three-phase installation would show: 7.25/6.5/8 A at ~230 V, importing.
    static func plausibleValue(for quantity: Quantity, map: RegisterMap) -> Value {
        if quantity.type == .string { return .text(map.name) }
        if quantity.type == .bool { return .number(0) }
        let currents = ["l1": 7.25, "l2": 6.5, "l3": 8.0]
        let voltages = ["l1": 230.0, "l2": 229.5, "l3": 231.0]
        let parts = quantity.name.split(separator: ".").map(String.init)
        let phase = parts.count == 2 ? parts[1] : ""
        let value: Double
        switch (parts.first ?? "", quantity.unit.dimension) {
        case ("current", _) where currents[phase] != nil: value = currents[phase]!
        case ("voltage", _) where voltages[phase] != nil: value = voltages[phase]!
        case ("power", _) where currents[phase] != nil: value = (currents[phase]! * voltages[phase]!).rounded()
        case ("power", .power) where phase == "total":
            value = currents.keys.map { (currents[$0]! * voltages[$0]!).rounded() }.reduce(0, +)
        case ("energy", _) where phase == "import": value = 1_234_500
        case ("energy", _) where phase == "export": value = 56_700
        case (_, .current): value = 1
        case (_, .voltage): value = 400
        case (_, .power), (_, .reactivePower), (_, .apparentPower): value = 100
        case (_, .energy), (_, .reactiveEnergy): value = 1000
        case (_, .frequency): value = 50
        case (_, .ratio): value = 50
        case (_, .temperature): value = 25
        case (_, .time): value = 3600
        default: value = 1
        }
        if let range = quantity.range { return .number(min(max(value, range.lowerBound), range.upperBound)) }
        return .number(value)
    }

    /// Reads a values file: a YAML mapping of quantity name to number (SI units) or text.
    public static func loadValues(file path: String) throws(DataFileError) -> [String: Value] {
        var values: [String: Value] = [:]
        for (name, node) in try YAMLNode.load(file: path).fields().entries {
            if let number = try? node.number() {
                values[name] = .number(number)
            } else {
                values[name] = .text(try node.string())
            }
        }
        return values
    }
}
