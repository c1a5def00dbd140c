import DataFiles
import Foundation
@testable import RegisterMaps
import Testing

@Suite("Block planner")
struct BlockPlannerTests {
    func q(_ name: String, _ address: Int, _ type: ValueType = .f32, _ function: RegisterFunction = .holding) -> Quantity {
        Quantity(name: name, address: address, function: function, type: type, unit: .one)
    }

    @Test func pac2200PollNeedsAtMostThreeRequests() throws {
        let map = try Paths.map("meters/pac2200.yaml")
        let wanted = ["current.l1", "current.l2", "current.l3", "voltage.l1", "voltage.l2", "voltage.l3",
                      "power.l1", "power.l2", "power.l3", "power.total", "energy.import"]
        let subset = map.quantities.filter { wanted.contains($0.name) }
        #expect(subset.count == wanted.count)
        #expect(BlockPlanner.plan(subset, settings: map.planner).count <= 3)
        #expect(BlockPlanner.plan(map.quantities, settings: map.planner).count <= 3)
        #expect(BlockPlanner.onePerQuantity(map.quantities).count == map.quantities.count)
    }

    @Test func everyQuantityIsCoveredExactlyOnceWithinLimits() throws {
        for file in MapCatalog(folders: [Paths.registers.path]).files() {
            let map = try MapLoader.load(file: file)
            let blocks = BlockPlanner.plan(map.quantities, settings: map.planner)
            #expect(blocks.flatMap(\.members).sorted() == Array(map.quantities.indices), "\(file)")
            for block in blocks {
                #expect(block.count <= max(map.planner.maxRegisters, block.members.map { map.quantities[$0].count }.max()!))
                for member in block.members {
                    let quantity = map.quantities[member]
                    #expect(quantity.function == block.function)
                    #expect(quantity.address >= block.address && quantity.endAddress < block.address + block.count)
                }
            }
            #expect(blocks.count < map.quantities.count || map.quantities.count <= 2 || map.planner.maxGap == 0, "\(file) gained nothing")
        }
    }

    @Test func gapsAreBridgedOnlyUpToMaxGap() {
        let quantities = [q("a", 0), q("b", 2), q("c", 12), q("d", 40)]
        let blocks = BlockPlanner.plan(quantities, settings: PlannerSettings(maxGap: 8, maxRegisters: 125))
        #expect(blocks.map(\.address) == [0, 40])
        #expect(blocks[0].count == 14 && blocks[0].members == [0, 1, 2])
        #expect(BlockPlanner.plan(quantities, settings: PlannerSettings(maxGap: 0)).count == 3)   // a+b are contiguous
    }

    @Test func functionsNeverShareARequest() {
        let quantities = [q("a", 0), q("b", 2, .f32, .input), q("c", 4), q("s", 0, .bool, .coil), q("t", 1, .bool, .coil)]
        let blocks = BlockPlanner.plan(quantities)
        #expect(blocks.count == 3)
        #expect(Set(blocks.map(\.function)) == [.holding, .input, .coil])
    }

    @Test func requestsNeverExceed125Registers() {
        let quantities = (0..<100).map { q("v\($0)", $0 * 2) }   // 200 contiguous registers
        let blocks = BlockPlanner.plan(quantities)
        #expect(blocks.count == 2)
        #expect(blocks.allSatisfy { $0.count <= 125 })
        #expect(blocks[0].count == 124)   // a float is never cut in half
    }

    @Test func decoderMarksFailedBlocksMissingAndDecodesTheRest() {
        let quantities = [q("a", 0), q("b", 2), q("c", 100, .u16)]
        let blocks = BlockPlanner.plan(quantities, settings: PlannerSettings(maxGap: 4))
        let readings = PollDecoder.decode(quantities, blocks: blocks, answers: [
            .success([0x40E8, 0, 0x4366, 0]), .failure(.readFailed("no answer (timeout)")),
        ])
        #expect(readings.map(\.number) == [7.25, 230, nil])
        #expect(readings[2].value == .failure(.readFailed("no answer (timeout)")))
    }
}
