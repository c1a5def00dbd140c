import Testing
@testable import EnergyControl

/// The load-management tables of the Vestel EVC08 installation guideline, §16.7.5.3 (FIFO) and
/// §16.7.5.4 (combined, F% = 50): minimum 6 A and maximum 32 A per EV, one zone, arrivals in plug
/// order. "↓" in the manual (an EV drawing less than offered) is a lowered maximum here, as low
/// consumption makes it. Columns that cannot be decoded are listed in docs/LOAD-MANAGEMENT.md.
@Suite("Vestel EVC08 load-management tables")
struct VestelTableTests {
    /// One phase is enough: every EV and the grid maximum on L1.
    func allocate(_ grid: Double, _ maximums: [Double], policy: AllocationPolicy, newEVWaits: Bool = false) -> [Int] {
        let tree = try! ZoneTree([.init(id: "grid", limit: [grid, grid, grid])])
        let evs = maximums.enumerated().map { index, maximum in
            Participant(id: "EV\(index + 1)", plug: index + 1, zone: 0, vehiclePhases: 1, minimum: 6, maximum: maximum, arrival: Double(index))
        }
        return Allocator.allocate(evs, tree: tree, available: tree.zones.map(\.limit), policy: policy, newEVWaits: newEVWaits)
    }

    let combined = AllocationPolicy.combined(percent: 50)

    /// §16.7.5.3, Gm = 120 A: 4 EVs, then a fifth arrives; then EV1 draws only 16 A.
    @Test func fifo120A() {
        #expect(allocate(120, [32, 32, 32, 32], policy: .fifo) == [32, 32, 32, 24])
        #expect(allocate(120, [32, 32, 32, 32, 32], policy: .fifo) == [32, 32, 32, 18, 6])
        #expect(allocate(120, [16, 32, 32, 32, 32], policy: .fifo) == [16, 32, 32, 32, 8])
    }

    /// §16.7.5.4, Gm = 120 A: 4 EVs; 5 EVs; EV1 drawing only 20 A; EV1 drawing only 6 A.
    @Test func combined120A() {
        #expect(allocate(120, [32, 32, 32, 32], policy: combined) == [32, 32, 32, 24])
        #expect(allocate(120, [32, 32, 32, 32, 32], policy: combined) == [32, 32, 32, 12, 12])
        #expect(allocate(120, [20, 32, 32, 32, 32], policy: combined) == [20, 32, 32, 24, 12])
        #expect(allocate(120, [6, 32, 32, 32, 32], policy: combined) == [6, 32, 32, 32, 18])
    }

    /// §16.7.5.4, Gm = 80 A with EV1 drawing only 6 A.
    @Test func combined80A() {
        #expect(allocate(80, [6, 32, 32, 32, 32], policy: combined) == [6, 32, 26, 8, 8])
    }

    /// §16.7.5.4, Gm = 30 A: exactly the five minimums.
    @Test func combined30A() {
        #expect(allocate(30, [32, 32, 32, 32, 32], policy: combined) == [6, 6, 6, 6, 6])
    }

    /// The sentence of §16.7.5.3 read literally ("a new EV waits until an EV finishes its charge or
    /// leaves"), the `fifo_new_ev_waits` option: the fifth EV gets 0, not the table's 6 A.
    @Test func fifoNewEVWaits() {
        let five: [Double] = [32, 32, 32, 32, 32]
        #expect(allocate(120, five, policy: .fifo, newEVWaits: true) == [32, 32, 32, 24, 0])
        #expect(allocate(80, five, policy: .fifo, newEVWaits: true) == [32, 32, 16, 0, 0])
        #expect(allocate(29, five, policy: .fifo, newEVWaits: true) == [29, 0, 0, 0, 0])
        // without the option, the table's reading
        #expect(allocate(120, five, policy: .fifo) == [32, 32, 32, 18, 6])
    }
}
