import DataFiles
import Foundation
import Testing
@testable import RegisterMaps

@Suite("Map loading and validation")
struct MapLoaderTests {
    @Test func loadsDefaultsBaseAndUnits() throws {
        let map = try inlineMap("""
              current.l1: { address: 3000, type: float32, unit: A }
              energy.import: { address: 3204, type: i64, unit: kWh, scale: 0.001, function: input, word_order: little }
              alarm: { address: 5, type: bool, function: coil }
            """, extra: "address_base: 1\ndefaults: { sentinels: [nan, 0x8000] }")
        let current = try #require(map.quantity(named: "current.l1"))
        #expect(current.address == 2999)            // 1-based register number → PDU address
        #expect(current.type == .f32 && current.function == .holding)
        #expect(current.sentinels == [.nan, .raw(0x8000)])
        let energy = try #require(map.quantity(named: "energy.import"))
        #expect(energy.unit.factor == 1000 && energy.unit.siSymbol == "Wh")
        #expect(energy.function == .input && energy.wordOrder == .little)
        #expect(map.quantity(named: "alarm")?.function == .coil)
    }

    @Test func unknownTypeNamesFileLineAndField() throws {
        let error = try #require(loadError("  current.l1: { address: 1, type: u33, unit: A }"))
        #expect(error.file == "test.yaml")
        #expect(error.line == 7)   // line 7 of the inline file: the first quantity
        #expect(error.field == "quantities.current.l1.type")
        #expect(error.description.contains("unknown type \"u33\""))
    }

    @Test func missingFieldIsNamed() throws {
        let error = try #require(loadError("  current.l1: { address: 1, type: f32 }"))
        #expect(error.field == "quantities.current.l1.unit")
        #expect(error.message.contains("missing"))
        let noAddress = try #require(loadError("  current.l1: { type: f32, unit: A }"))
        #expect(noAddress.field == "quantities.current.l1.address")
        #expect(try #require(loadError("  name.x: { address: 1, type: string }")).field == "quantities.name.x.length")
    }

    @Test func overlappingRegistersAreRejected() throws {
        let error = try #require(loadError("""
              current.l1: { address: 10, type: f32, unit: A }
              current.l2: { address: 11, type: f32, unit: A }
            """))
        #expect(error.field == "quantities.current.l2")
        #expect(error.message.contains("overlap current.l1"))
        #expect(error.line == 8)
        // same addresses under different functions do not overlap
        #expect(loadError("""
              current.l1: { address: 10, type: f32, unit: A }
              current.l2: { address: 10, type: f32, unit: A, function: input }
            """) == nil)
    }

    @Test func outOfRangeAddressesAreRejected() throws {
        #expect(try #require(loadError("  current.l1: { address: 65535, type: f32, unit: A }")).message.contains("out of range"))
        #expect(try #require(loadError("  current.l1: { address: 0, type: f32, unit: A }", extra: "address_base: 1")).message.contains("out of range"))
        #expect(try #require(loadError("  current.l1: { address: -4, type: f32, unit: A }")).message.contains("out of range"))
    }

    @Test func wrongDimensionUnknownFieldsAndBadValues() throws {
        #expect(try #require(loadError("  current.l1: { address: 1, type: f32, unit: kW }")).message.contains("needs a unit of current"))
        #expect(try #require(loadError("  current.l1: { address: 1, type: f32, unit: A, scael: 2 }")).field == "quantities.current.l1.scael")
        #expect(try #require(loadError("  current.l1: { address: 1, type: f32, unit: A, scale: 0 }")).field == "quantities.current.l1.scale")
        #expect(try #require(loadError("  current.l1: { address: 1, type: f32, unit: A, word_order: middle }")).message.contains("big or little"))
        #expect(try #require(loadError("  current.l1: { address: 1, type: f32, unit: A, function: coil }")).message.contains("bool"))
        #expect(try #require(loadError("  Current L1: { address: 1, type: f32, unit: A }")).message.contains("lower case"))
        #expect(try #require(loadError("  current.l1: { address: 1, type: f32, unit: A }", extra: "address_base: 2")).field == "address_base")
    }

    @Test func yamlSyntaxErrorsCarryTheLine() throws {
        do {
            _ = try MapLoader.parse("name: x\nvendor: [unclosed\nmodels: []\n", file: "broken.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "broken.yaml")
            #expect(error.line != nil)
            #expect(error.message.contains("YAML"))
        }
        #expect(throws: DataFileError.self) { try MapLoader.load(file: "/nonexistent/map.yaml") }
    }

    /// Every shipped map loads, names its sources and uses the standard names.
    @Test func everyShippedMapLoads() throws {
        let files = MapCatalog(folders: [Paths.registers.path]).files()
        #expect(files.count >= 14)
        for file in files {
            let map = try MapLoader.load(file: file)
            #expect(!map.sources.isEmpty, "\(file)")
            #expect(map.quantity(named: "current.l1") != nil, "\(file) has no current.l1")
            #expect(map.quantity(named: "power.total") != nil || map.quantity(named: "power.l1") != nil, "\(file) has no power")
        }
        for name in ["cvm-mini", "pac2200", "klefr-6924", "klefr-6934", "garo-gnm3t", "garo-gnm3d", "schneider-powertag",
                     "schneider-pm5320", "schneider-iem3x5x", "schneider-nsx", "schneider-nsx-legacy", "schneider-mtz",
                     "eastron-sdm630", "phoenix-eem-mb371"] {
            #expect(files.contains { $0.hasSuffix("/meters/\(name).yaml") }, "missing map \(name)")
        }
    }

    @Test func catalogResolvesNamesAndPaths() {
        let catalog = MapCatalog(folders: [Paths.registers.path])
        #expect(catalog.resolve("pac2200")?.hasSuffix("meters/pac2200.yaml") == true)
        #expect(catalog.resolve("meters/cvm-mini") != nil)
        #expect(catalog.resolve("no-such-meter") == nil)
    }
}
