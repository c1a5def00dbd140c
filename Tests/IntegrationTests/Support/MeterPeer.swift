import DataFiles
import Foundation
import RegisterMaps

/// One value a pymodbus peer serves: where the map says the quantity is, the raw number the
/// device would hold (encoded by Python's struct module, not by our codec) and the SI value
/// chargebridge must print.
struct PeerValue {
    let name: String
    let raw: Double
    let expected: Double?
}

/// A pymodbus server (TCP or RTU) serving values laid out as a register map describes.
enum MeterPeer {
    static func spec(map: RegisterMap, unit: Int, values: [PeerValue]) throws -> Data {
        var entries: [[String: Any]] = []
        for value in values {
            guard let quantity = map.quantity(named: value.name) else { throw TestFailure("\(map.name) has no \(value.name)") }
            entries.append([
                "function": quantity.function.rawValue, "address": quantity.address, "type": quantity.type.rawValue,
                "word_order": quantity.wordOrder.rawValue, "byte_order": quantity.byteOrder.rawValue,
                "value": value.raw.isNaN ? "nan" as Any : quantity.type.rawValue.hasPrefix("f") ? value.raw as Any : Int64(value.raw) as Any,
            ])
        }
        return try JSONSerialization.data(withJSONObject: ["unit": unit, "values": entries])
    }

    static func start(map: RegisterMap, unit: Int, values: [PeerValue], transport: [String]) throws -> ManagedProcess {
        let folder = try TestEnvironment.temporaryFolder()
        let specFile = folder.appendingPathComponent("spec.json")
        try spec(map: map, unit: unit, values: values).write(to: specFile)
        let peer = try ManagedProcess(try TestEnvironment.python,
                                      [TestEnvironment.peer("meter_server.py"), "--spec", specFile.path, "--lifetime", "120"] + transport)
        try peer.waitFor("ready")
        return peer
    }

    static func map(_ name: String) throws -> RegisterMap {
        try MapLoader.load(file: TestEnvironment.root.appendingPathComponent("Registers/meters/\(name).yaml").path)
    }
}

/// Parses `chargebridge read --json` output.
func parseReading(_ json: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
        throw TestFailure("not a JSON object: \(json)")
    }
    return object
}
