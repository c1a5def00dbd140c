import Foundation
import RegisterMaps
import Testing

/// Every shipped meter map bounds what it reads: a meter answering 1e9 A, NaN or a negative voltage
/// reads as missing — never published, never used by the loops.
@Suite("Meter plausibility ranges")
struct MeterPlausibilityTests {
    static let maps = (try? FileManager.default.contentsOfDirectory(atPath: Paths.registers.appendingPathComponent("meters").path))?
        .filter { $0.hasSuffix(".yaml") }.sorted() ?? []

    @Test(arguments: maps)
    func currentsVoltagesPowerAndFrequencyAreBounded(_ file: String) throws {
        let map = try Paths.map("meters/\(file)")
        let measured = map.quantities.filter { quantity in
            ["current.", "voltage.", "power."].contains { quantity.name.hasPrefix($0) } || quantity.name == "frequency"
        }
        #expect(!measured.isEmpty)
        for quantity in measured {
            let range = try #require(quantity.range, "\(file): \(quantity.name) has no plausibility range")
            #expect(!range.contains(1e9), "\(file): \(quantity.name)")
        }
    }

    @Test func aBillionAmperesReadsAsMissing() throws {
        let map = try Paths.map("meters/pac2200.yaml")
        let current = try #require(map.quantities.first { $0.name == "current.l1" })
        let bits = Float(1e9).bitPattern
        let decoded = Codec.decode([UInt16(bits >> 16), UInt16(bits & 0xFFFF)][...], as: current)
        guard case .failure(.outOfRange(let value)) = decoded else { Issue.record("read as \(decoded)"); return }
        #expect(value == 1e9)
        let sane = Float(12.5).bitPattern
        #expect(try Codec.decode([UInt16(sane >> 16), UInt16(sane & 0xFFFF)][...], as: current).get() == .number(12.5))
    }
}
