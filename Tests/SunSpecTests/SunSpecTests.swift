import Foundation
import RegisterMaps
import Testing
@testable import SunSpec

@Suite("SunSpec: models, discovery, decoding")
struct SunSpecTests {
    @Test func theShippedModelsLoadWithTheirLengths() {
        let models = SunSpecImage.models
        #expect(Set(models.models.keys) == [1, 101, 102, 103, 111, 112, 113, 120, 160, 201, 202, 203, 204, 802])
        #expect(models[1]?.length == 66)
        #expect(models[103]?.length == 50)
        #expect(models[113]?.length == 60)
        #expect(models[203]?.length == 105)
        #expect(models[802]?.length == 62)
        #expect(models[160]?.group?.length == 20)
    }

    @Test func aModelFileWithAnUnknownScaleFactorIsRefused() {
        let text = #"{"models": [{"id": 7, "name": "x", "length": 2, "points": [{"name": "W", "offset": 2, "type": "int16", "size": 1, "sf": "W_SF"}]}]}"#
        #expect(throws: SunSpecModelSet.LoadError.self) { try SunSpecModelSet.decode(Data(text.utf8)) }
    }

    @Test(arguments: [40000, 0, 50000])
    func theChainIsWalkedFromEachBase(base: Int) throws {
        var image = SunSpecImage()
        let addresses = image.chain(base: base, [1, 103, 203, 802])
        let chain = try SunSpecDiscovery.discover(image.read).get()
        #expect(chain.base == base)
        #expect(chain.models.map(\.id) == [1, 103, 203, 802])
        #expect(chain.models.map(\.address) == [addresses[1], addresses[103], addresses[203], addresses[802]])
        #expect(chain.models.map(\.length) == [66, 50, 105, 62])
        #expect(chain.complete)
    }

    @Test func aWrongMarkerIsNotSunSpec() {
        var image = SunSpecImage()
        image.chain(base: 40000, [1, 103])
        image.registers[40001] = 0x6E54    // "SunT"
        #expect(throws: SunSpecDiscoveryError.noMarker) { try SunSpecDiscovery.discover(image.read).get() }
    }

    @Test func aMarkerWithoutModelsIsAnEmptyChain() {
        var image = SunSpecImage()
        image.registers[40000] = 0x5375
        image.registers[40001] = 0x6E53
        #expect(throws: SunSpecDiscoveryError.emptyChain(base: 40000)) { try SunSpecDiscovery.discover(image.read).get() }
    }

    @Test func aTruncatedChainKeepsTheModelsBeforeTheBreak() throws {
        var image = SunSpecImage()
        image.chain(base: 40000, [1, 103, 203], end: false)
        let chain = try SunSpecDiscovery.discover(image.read).get()
        #expect(chain.models.map(\.id) == [1, 103, 203])
        #expect(!chain.complete)
        // a header pointing past the address space ends it too
        var far = SunSpecImage()
        far.chain(base: 50000, [1])
        far.registers[50070] = 103
        far.registers[50071] = 60000
        let short = try SunSpecDiscovery.discover(far.read).get()
        #expect(short.models.map(\.id) == [1])
        #expect(!short.complete)
    }

    @Test func aFailingLinkEndsTheDiscoveryWithItsError() {
        struct Down: Error, Equatable {}
        #expect(throws: Down()) { try SunSpecDiscovery.discover { (_: Int, _: Int) throws(Down) -> [UInt16]? in throw Down() } }
    }

    @Test func scaleFactorsApply() throws {
        var image = SunSpecImage()
        let at = image.chain(base: 40000, [1, 103])[103]!
        image.set(103, at: at, "AphA", int: 1234)
        image.set(103, at: at, "A_SF", int: -2)
        image.set(103, at: at, "PhVphA", int: 2301)
        image.set(103, at: at, "V_SF", int: -1)
        image.set(103, at: at, "W", int: 350)
        image.set(103, at: at, "W_SF", int: 1)
        image.set(103, at: at, "Hz", int: 5000)
        image.set(103, at: at, "Hz_SF", int: -2)
        image.set(103, at: at, "WH", int: 123_456_789)
        image.set(103, at: at, "WH_SF", int: 0)
        let values = SunSpecValues.values(.inverter, blocks: image.blocks(try SunSpecDiscovery.discover(image.read).get()))
        #expect(values["current.l1"] == 12.34)
        #expect(values["voltage.l1"] == 230.1)
        #expect(values["power.total"] == 3500)
        #expect(values["frequency"] == 50)
        #expect(values["energy.export"] == 123_456_789)
    }

    @Test func notImplementedValuesAreAbsentNeverZero() throws {
        var image = SunSpecImage()
        let at = image.chain(base: 40000, [1, 103, 203])
        image.set(103, at: at[103]!, "AphB", [0xFFFF])          // uint16 not implemented
        image.set(103, at: at[103]!, "AphA", int: 10)
        image.set(103, at: at[103]!, "A_SF", int: 0)
        image.set(103, at: at[103]!, "W", [0x8000])             // int16 not implemented
        image.set(103, at: at[103]!, "W_SF", int: 0)
        image.set(103, at: at[103]!, "PhVphA", int: 230)
        image.set(103, at: at[103]!, "V_SF", [0x8000])          // scale factor not implemented
        image.set(103, at: at[103]!, "WH", int: 0)              // accumulator not implemented
        image.set(103, at: at[103]!, "WH_SF", int: 0)
        image.set(103, at: at[103]!, "Hz", int: 50)
        image.set(103, at: at[103]!, "Hz_SF", int: 11)          // outside −10…10
        image.set(203, at: at[203]!, "W", int: -1500)
        image.set(203, at: at[203]!, "W_SF", int: 0)
        let blocks = image.blocks(try SunSpecDiscovery.discover(image.read).get())
        let inverter = SunSpecValues.values(.inverter, blocks: blocks)
        #expect(inverter["current.l1"] == 10)
        for name in ["current.l2", "power.total", "voltage.l1", "energy.export", "frequency"] { #expect(inverter[name] == nil, "\(name)") }
        #expect(SunSpecValues.values(.meter, blocks: blocks)["power.total"] == -1500)
        let readings = SunSpecValues.readings(inverter, quantities: SunSpecFamily.inverter.quantities(standard: []))
        #expect(readings.first { $0.name == "power.total" }?.value == .failure(.notAvailable))
    }

    @Test func floatModelsTreatNaNAsAbsent() throws {
        var image = SunSpecImage()
        let at = image.chain(base: 40000, [1, 113])[113]!
        image.set(113, at: at, "W", float: 2750.5)
        image.set(113, at: at, "AphA", [0x7FC0, 0x0000])
        image.set(113, at: at, "PhVphA", float: .infinity)
        let values = SunSpecValues.values(.inverter, blocks: image.blocks(try SunSpecDiscovery.discover(image.read).get()))
        #expect(values["power.total"] == 2750.5)
        #expect(values["current.l1"] == nil)
        #expect(values["voltage.l1"] == nil)
    }

    @Test func theInverterIsCompletedFromNameplateAndMPPT() throws {
        var image = SunSpecImage()
        let at = image.chain(base: 40000, [1, 113, 120, 160], modules: 2)
        image.set(113, at: at[113]!, "DCW", [0x7FC0, 0])        // no DC total in the inverter model
        image.set(120, at: at[120]!, "WRtg", int: 82)
        image.set(120, at: at[120]!, "WRtg_SF", int: 2)
        image.set(160, at: at[160]!, "DCW_SF", int: 0)
        let group = SunSpecImage.models[160]!.group!
        let dcw = group.points.first { $0.name == "DCW" }!.offset
        image.registers[at[160]! + 10 + dcw] = 1200
        image.registers[at[160]! + 10 + group.length + dcw] = 800
        let blocks = image.blocks(try SunSpecDiscovery.discover(image.read).get())
        let values = SunSpecValues.values(.inverter, blocks: blocks)
        #expect(values["power.rated"] == 8200)
        #expect(values["dc.power"] == 2000)
        #expect(blocks.first { $0.model.id == 160 }?.repetitions == 2)
    }

    @Test func theCommonModelNamesTheDevice() throws {
        var image = SunSpecImage()
        let at = image.chain(base: 40000, [1, 802])
        let mn = Array("Fronius".utf8) + [0]
        for index in stride(from: 0, to: mn.count - 1, by: 2) {
            image.registers[at[1]! + 2 + index / 2] = UInt16(mn[index]) << 8 | UInt16(mn[index + 1])
        }
        image.set(802, at: at[802]!, "SoC", int: 555)
        image.set(802, at: at[802]!, "SoC_SF", int: -1)
        image.set(802, at: at[802]!, "W", int: -2000)
        image.set(802, at: at[802]!, "W_SF", int: 0)
        let blocks = image.blocks(try SunSpecDiscovery.discover(image.read).get())
        #expect(SunSpecValues.identity(blocks) == "Fronius")
        let battery = SunSpecValues.values(.battery, blocks: blocks)
        #expect(battery["soc"] == 55.5)
        #expect(battery["power.total"] == -2000)
        #expect(SunSpecValues.values(.inverter, blocks: blocks).isEmpty, "no inverter model in this chain")
    }

    @Test func implausibleValuesAreRejectedByTheirRange() {
        let quantities = SunSpecFamily.battery.quantities(standard: [])
        let readings = SunSpecValues.readings(["soc": 140, "power.total": 500], quantities: quantities)
        #expect(readings.first { $0.name == "soc" }?.value == .failure(.outOfRange(140)))
        #expect(readings.first { $0.name == "power.total" }?.number == 500)
        let failed = SunSpecValues.readings(["soc": 50], quantities: quantities, failure: .readFailed("no answer"))
        #expect(failed.allSatisfy { $0.value == .failure(.readFailed("no answer")) })
    }
}
