import Foundation
import Testing
import Yams
@testable import RegisterMaps

@Suite("Codec")
struct CodecTests {
    func quantity(_ type: ValueType, word: Endianness = .big, byte: Endianness = .big, scale: Double = 1,
                  unit: MeasurementUnit = .one, sentinels: [Sentinel] = [], range: ClosedRange<Double>? = nil) -> Quantity {
        Quantity(name: "x", address: 0, type: type, wordOrder: word, byteOrder: byte, scale: scale, unit: unit,
                 sentinels: sentinels, range: range)
    }

    func decoded(_ registers: [UInt16], _ quantity: Quantity) -> Double? {
        if case .success(.number(let value)) = Codec.decode(registers[...], as: quantity) { return value }
        return nil
    }

    /// Known vectors for every type and word order (values checked with Python's struct module).
    @Test(arguments: [
        (ValueType.u16, Endianness.big, [UInt16(0x1234)], 4660.0),
        (.i16, .big, [0xFF85], -123),
        (.u32, .big, [0x0001, 0xE240], 123_456),
        (.u32, .little, [0xE240, 0x0001], 123_456),
        (.i32, .big, [0xFFFE, 0x1DC0], -123_456),
        (.i32, .little, [0x1DC0, 0xFFFE], -123_456),
        (.u64, .big, [0x0000, 0x0000, 0x075B, 0xCD15], 123_456_789),
        (.u64, .little, [0xCD15, 0x075B, 0x0000, 0x0000], 123_456_789),
        (.i64, .big, [0xFFFF, 0xFFFF, 0xF8A4, 0x32EB], -123_456_789),
        (.i64, .little, [0x32EB, 0xF8A4, 0xFFFF, 0xFFFF], -123_456_789),
        (.f32, .big, [0x40E8, 0x0000], 7.25),
        (.f32, .little, [0x0000, 0x40E8], 7.25),
        (.f32, .big, [0xC2C8, 0x0000], -100),
        (.f64, .big, [0x40FE, 0x2408, 0x0000, 0x0000], 123_456.5),
        (.f64, .little, [0x0000, 0x0000, 0x2408, 0x40FE], 123_456.5),
    ] as [(ValueType, Endianness, [UInt16], Double)])
    func knownVectors(type: ValueType, order: Endianness, registers: [UInt16], expected: Double) throws {
        #expect(decoded(registers, quantity(type, word: order)) == expected)
        // and back: encoding the value gives the same registers
        #expect(try Codec.encode(.number(expected), as: quantity(type, word: order)) == registers)
    }

    @Test func byteSwappedRegisters() {
        #expect(decoded([0xE840, 0x0000], quantity(.f32, byte: .little)) == 7.25)
        #expect(decoded([0x3412], quantity(.u16, byte: .little)) == 4660)
    }

    @Test func scaleOffsetAndUnitConvertToSI() {
        var q = quantity(.u32, scale: 0.1, unit: MeasurementUnit.named("kWh")!)
        #expect(decoded([0x0000, 0x3039], q) == 1_234_500)   // 12345 × 0.1 kWh
        q = quantity(.i32, unit: MeasurementUnit.named("mA")!)
        #expect(decoded([0x0000, 0x1C52], q) == 7.25)
        q.offset = 10
        #expect(decoded([0x0000, 0x1C52], q) == 7.26)
    }

    @Test func nanInfinityAndSentinelsAreMissingNeverNumbers() {
        #expect(Codec.decode([0x7FC0, 0x0000][...], as: quantity(.f32)) == .failure(.notAvailable))
        #expect(Codec.decode([0xFFC0, 0x0000][...], as: quantity(.f32)) == .failure(.notAvailable))
        #expect(Codec.decode([0x7F80, 0x0000][...], as: quantity(.f32)) == .failure(.notAvailable))
        #expect(Codec.decode([0x7FF8, 0, 0, 0][...], as: quantity(.f64)) == .failure(.notAvailable))
        #expect(Codec.decode([0x8000][...], as: quantity(.i16, sentinels: [.raw(0x8000)])) == .failure(.notAvailable))
        #expect(Codec.decode([0x8000][...], as: quantity(.i16, sentinels: [.raw(-32768)])) == .failure(.notAvailable))
        #expect(Codec.decode([0xFFFF, 0xFFFF][...], as: quantity(.u32, sentinels: [.raw(0xFFFF_FFFF)])) == .failure(.notAvailable))
        #expect(Codec.decode([0x8000, 0, 0, 0][...], as: quantity(.i64, sentinels: [.raw(Int(bitPattern: 0x8000_0000_0000_0000))])) == .failure(.notAvailable))
        #expect(decoded([0x7FFF], quantity(.i16, sentinels: [.raw(0x8000)])) == 32767)
    }

    @Test func implausibleValuesAreMissing() {
        let q = quantity(.f32, range: 0...1000)
        #expect(Codec.decode([0x4E6E, 0x6B28][...], as: q) == .failure(.outOfRange(1e9)))
        #expect(decoded([0x4366, 0x0000], q) == 230)
    }

    @Test func strings() throws {
        var q = quantity(.string)
        q.stringLength = 3
        #expect(Codec.decode(Codec.encodeString("EVC04", registers: 3, byteOrder: .big)[...], as: q) == .success(.text("EVC04")))
        #expect(Codec.encodeString("AB", registers: 2, byteOrder: .big) == [0x4142, 0x0000])
        #expect(Codec.decodeString([0x4241, 0x0043][...], byteOrder: .little) == "ABC")
    }

    @Test func encodeRejectsValuesThatDoNotFit() {
        #expect(throws: Codec.EncodeError.self) { try Codec.encode(.number(70_000), as: quantity(.u16)) }
        #expect(throws: Codec.EncodeError.self) { try Codec.encode(.number(-1), as: quantity(.u32)) }
        #expect(throws: Codec.EncodeError.self) { try Codec.encode(.text("x"), as: quantity(.u32)) }
    }

    /// Vectors printed in (or derived from) each vendor's documentation; see each entry's source.
    @Test func vendorDocumentationVectors() throws {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("vendor-vectors") }
        var vendors = Set<String>()
        var count = 0
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let vectors = try #require(try Yams.load(yaml: text) as? [[String: Any]])
            for vector in vectors {
                let type = try #require(ValueType(name: vector["type"] as! String))
                let word = Endianness(rawValue: vector["word_order"] as? String ?? "big")!
                let byte = Endianness(rawValue: vector["byte_order"] as? String ?? "big")!
                let registers = (vector["registers"] as! [Int]).map { UInt16($0) }
                let expected = (vector["value"] as? Double) ?? Double(vector["value"] as! Int)
                let raw = Codec.rawValue(registers[...], as: quantity(type, word: word, byte: byte))
                #expect(raw == expected, "\(vector["vendor"]!): \(vector["source"]!)")
                vendors.insert(vector["vendor"] as! String)
                count += 1
            }
        }
        #expect(count >= 8)
        for vendor in ["Schneider", "Circutor", "Siemens", "KLEFR", "Eastron", "Phoenix Contact"] {
            #expect(vendors.contains(vendor), "no documented vector for \(vendor)")
        }
        #expect(vendors.contains { $0.hasPrefix("Garo") || $0.contains("Gavazzi") })
    }
}
