/// How current is shared among the vehicles of a zone tree [SPEC §6.3].
public enum AllocationPolicy: Sendable, Equatable {
    /// Max–min fair: water-filling capped at each charger's maximum.
    case equalShare
    /// After everyone's minimum, earlier arrivals (then lower plugs) get their maximum first. With
    /// `LoadSettings.fifoNewEVWaits` a new EV instead waits while less than its minimum remains.
    case fifo
    /// (100 − `percent`)% of the capacity is shared equally (at least each EV's minimum), the rest
    /// goes first come first served on top.
    case combined(percent: Double)
}

/// Which EV pauses first when there is not enough for everyone at the minimum.
public enum PauseOrder: Sendable, Equatable {
    /// Highest plug id first; resumes lowest first [Circontrol §3.2].
    case highestPlugFirst
    /// Most energy delivered first [Schneider §1.1.1.1].
    case mostEnergyFirst
    /// Longest charging first.
    case longestChargingFirst
}

/// One vehicle asking for current.
public struct Participant: Sendable, Equatable {
    public var id: String
    /// Plug id (pause order, FIFO tie-break).
    public var plug: Int
    /// Leaf zone index in the tree.
    public var zone: Int
    public var rotation: PhaseRotation
    /// Phases the vehicle charges on (1 or 3), detected from measured currents.
    public var vehiclePhases: Int
    public var minimum: Double
    /// The most it may get: min(hardware, installation, operator, cable, what it draws + margin).
    public var maximum: Double
    public var priority: Bool
    /// Arrival time (FIFO order).
    public var arrival: Double
    public var energyWh: Double = 0
    public var chargingSeconds: Double = 0
    /// Served after everyone else, with leftovers only (state B after its waiting time).
    public var queued = false
    /// > 0 while paused for lack of current: the higher, the earlier it paused. Paused vehicles
    /// stay paused before anyone else does (no flapping), and resume in the reverse order.
    public var pauseRank = 0

    public init(id: String, plug: Int, zone: Int, rotation: PhaseRotation = .rst, vehiclePhases: Int = 3, minimum: Double = 6,
                maximum: Double = 32, priority: Bool = false, arrival: Double = 0) {
        self.id = id
        self.plug = plug
        self.zone = zone
        self.rotation = rotation
        self.vehiclePhases = vehiclePhases
        self.minimum = minimum
        self.maximum = maximum
        self.priority = priority
        self.arrival = arrival
    }
}

/// Shares the available current per zone and phase among the participants [SPEC §6.3]. Pure and
/// near-linear: O(participants × depth) plus sorting. Internally every (zone, phase) is one flat
/// index, zone × 3 + phase, and each participant's list of them is computed once.
///
/// Per group (priority, normal, queued), in the way the vendor manuals describe it
/// (docs/LOAD-MANAGEMENT.md): first pause, by the pause order, only as many vehicles as needed for
/// the minimums of the others to fit every constraint; then each remaining vehicle gets its minimum
/// and the policy distributes the rest, never above a vehicle's maximum, in whole amperes.
public enum Allocator {
    /// - Parameters:
    ///   - available: per zone and grid phase, what the EVs may draw in total.
    ///   - newEVWaits: with FIFO, the literal reading of EVC08 §16.7.5.3 ("a new EV waits until an EV
    ///     finishes its charge or leaves"): a later EV gets 0 while less than its minimum remains after
    ///     the earlier ones took their maximum, instead of everyone getting the minimum first.
    /// - Returns: whole amperes per participant (0 = paused), never breaking any zone's limit on any phase.
    public static func allocate(_ participants: [Participant], tree: ZoneTree, available: [[Double]],
                                policy: AllocationPolicy, pauseOrder: PauseOrder = .highestPlugFirst, newEVWaits: Bool = false) -> [Int] {
        var slack = available.flatMap { $0.map { max(0, $0) } }
        let loads = participants.map { flatConstraints($0, tree: tree) }
        // whole amperes: the least a vehicle can be given (its minimum, rounded up) and the most
        let lower = participants.map { max(0, $0.minimum.rounded(.up)) }
        let upper = participants.map { max(0, $0.maximum.rounded(.down)) }
        var result = [Int](repeating: 0, count: participants.count)
        // Priority vehicles first, with everything; the others share what they leave; queued ones last.
        var queued: [Int] = [], priority: [Int] = [], normal: [Int] = []
        for (index, participant) in participants.enumerated() {
            if participant.queued { queued.append(index) } else if participant.priority { priority.append(index) } else { normal.append(index) }
        }
        let group = Group(participants: participants, loads: loads, lower: lower, upper: upper)
        for members in [priority, normal, queued] where !members.isEmpty {
            let amounts = newEVWaits && policy == .fifo
                ? group.firstComeWaiting(members, slack: slack)
                : group.allocate(members, slack: slack, policy: policy, pauseOrder: pauseOrder)
            for (index, amperes) in zip(members, amounts) where amperes > 0 {
                result[index] = Int(amperes)
                for c in loads[index] { slack[c] -= amperes }
            }
        }
        return result
    }

    /// Constraints a participant loads: (zone, grid phase) along its path.
    static func constraints(_ participant: Participant, tree: ZoneTree) -> [(zone: Int, phase: Int)] {
        let phases = participant.rotation.gridPhases(vehiclePhases: participant.vehiclePhases)
        return tree.paths[participant.zone].flatMap { zone in phases.map { (zone, $0) } }
    }

    static func flatConstraints(_ participant: Participant, tree: ZoneTree) -> [Int] {
        let phases = participant.rotation.gridPhases(vehiclePhases: participant.vehiclePhases)
        var result: [Int] = []
        result.reserveCapacity(phases.count * tree.paths[participant.zone].count)
        for zone in tree.paths[participant.zone] { for phase in phases { result.append(zone * 3 + phase) } }
        return result
    }

    static func room(_ slack: [Double], _ loads: [Int]) -> Double {
        var room = Double.infinity
        for c in loads { room = min(room, slack[c]) }
        return room == .infinity ? 0 : room
    }

    /// Tolerance for sums of currents compared with a slack.
    static let epsilon = 1e-9

    /// The participants with their constraints and whole-ampere bounds, indexed like `participants`.
    struct Group {
        let participants: [Participant]
        let loads: [[Int]]
        let lower: [Double]
        let upper: [Double]

        /// One group: who pauses, then minimums, then the policy's split of the rest. Amounts in the order of `members`.
        func allocate(_ members: [Int], slack: [Double], policy: AllocationPolicy, pauseOrder: PauseOrder) -> [Double] {
            let served = Allocator.served(members.filter { lower[$0] <= upper[$0] }, participants, loads: loads, minimums: lower,
                                          slack: slack, pauseOrder: pauseOrder)
            var amount = [Double](repeating: 0, count: participants.count)
            var left = slack
            switch policy {
            case .equalShare:
                let shares = fairShares(served.map { loads[$0] }, floors: served.map { lower[$0] }, caps: served.map { upper[$0] }, slack: slack)
                for (offset, index) in served.enumerated() { amount[index] = whole(shares[offset], index) }
            case .fifo:
                for index in served {
                    amount[index] = lower[index]
                    for c in loads[index] { left[c] -= lower[index] }
                }
                firstComeFirstServed(served, amount: &amount, slack: &left)
            case .combined(let percent):
                // (100 − F)% shared equally, each part max–min fair within [minimum, maximum]; the rest of the
                // whole limit (the F% and what the equal part left) first come first served on top
                let equal = 1 - min(1, max(0, percent / 100))
                let shares = fairShares(served.map { loads[$0] }, floors: served.map { lower[$0] }, caps: served.map { upper[$0] },
                                        slack: slack.map { $0 * equal })
                for (offset, index) in served.enumerated() {
                    amount[index] = whole(shares[offset], index)
                    for c in loads[index] { left[c] -= amount[index] }
                }
                firstComeFirstServed(served, amount: &amount, slack: &left)
            }
            return members.map { amount[$0] }
        }

        /// A share in whole amperes within the vehicle's bounds.
        func whole(_ share: Double, _ index: Int) -> Double {
            min(upper[index], max(lower[index], (share + Allocator.epsilon).rounded(.down)))
        }

        /// On top of what they have, in order of arrival (then plug), each up to its maximum.
        func firstComeFirstServed(_ served: [Int], amount: inout [Double], slack: inout [Double]) {
            for index in served.sorted(by: arrivesBefore) {
                let extra = min(upper[index] - amount[index], Allocator.room(slack, loads[index])).rounded(.down)
                guard extra > 0 else { continue }
                amount[index] += extra
                for c in loads[index] { slack[c] -= extra }
            }
        }

        func arrivesBefore(_ a: Int, _ b: Int) -> Bool {
            let x = participants[a], y = participants[b]
            return x.arrival != y.arrival ? x.arrival < y.arrival : x.plug < y.plug
        }

        /// FIFO read literally: in order of arrival each takes up to its maximum; a vehicle for which
        /// less than its minimum remains waits at 0 (it is not paused by the pause order).
        func firstComeWaiting(_ members: [Int], slack: [Double]) -> [Double] {
            var slack = slack
            var amount = [Double](repeating: 0, count: participants.count)
            for index in members.sorted(by: arrivesBefore) where lower[index] <= upper[index] {
                let amperes = min(upper[index], Allocator.room(slack, loads[index])).rounded(.down)
                guard amperes >= lower[index], amperes > 0 else { continue }
                amount[index] = amperes
                for c in loads[index] { slack[c] -= amperes }
            }
            return members.map { amount[$0] }
        }
    }

    /// Who of `candidates` keeps charging: where the minimums over-subscribe a constraint, vehicles
    /// loading it pause in pause order while any of their constraints is still over-subscribed (the
    /// sums only decrease, so one pass suffices); then those paused last resume first wherever their
    /// minimum fits again (a later pause may have freed it). O(n log n).
    static func served(_ candidates: [Int], _ participants: [Participant], loads: [[Int]], minimums: [Double], slack: [Double],
                       pauseOrder: PauseOrder) -> [Int] {
        var need = [Double](repeating: 0, count: slack.count)
        for index in candidates { for c in loads[index] { need[c] += minimums[index] } }
        func over(_ c: Int) -> Bool { need[c] > slack[c] + epsilon }
        let overloaded = need.indices.map(over)
        guard overloaded.contains(true) else { return candidates }
        let order = candidates.filter { loads[$0].contains { overloaded[$0] } }
            .sorted { pausesBefore(participants[$0], participants[$1], order: pauseOrder) }
        var paused: [Int] = []
        for index in order where loads[index].contains(where: over) {
            paused.append(index)
            for c in loads[index] { need[c] -= minimums[index] }
        }
        var isPaused = Set(paused)
        for index in paused.reversed() where loads[index].allSatisfy({ need[$0] + minimums[index] <= slack[$0] + epsilon }) {
            isPaused.remove(index)
            for c in loads[index] { need[c] += minimums[index] }
        }
        return candidates.filter { !isPaused.contains($0) }
    }

    /// True when `a` should pause before `b`.
    static func pausesBefore(_ a: Participant, _ b: Participant, order: PauseOrder) -> Bool {
        if a.pauseRank != b.pauseRank { return a.pauseRank > b.pauseRank }
        switch order {
        case .highestPlugFirst: return a.plug > b.plug
        case .mostEnergyFirst: return a.energyWh != b.energyWh ? a.energyWh > b.energyWh : a.plug > b.plug
        case .longestChargingFirst: return a.chargingSeconds != b.chargingSeconds ? a.chargingSeconds > b.chargingSeconds : a.plug > b.plug
        }
    }

    /// Max–min fair shares under every (zone, phase) constraint, each at least its floor: every
    /// vehicle holds its floor, one level rises, a vehicle joins when the level reaches its floor
    /// and stops at its cap, and every vehicle behind a constraint stops when that constraint is
    /// full (a vehicle that had not joined keeps its floor). Each round ends at a floor, a cap or a
    /// full constraint, so there are at most (distinct floors + caps + constraints) rounds of
    /// O(constraints) work, plus O(members × depth) to join and freeze: linear in EVs. A slack below
    /// the sum of the floors leaves everyone behind it at its floor.
    static func fairShares(_ loads: [[Int]], floors: [Double], caps: [Double], slack initial: [Double]) -> [Double] {
        let constraintCount = initial.count
        var slack = initial
        var count = [Int](repeating: 0, count: constraintCount)
        var behind = [[Int]](repeating: [], count: constraintCount)
        // 0 waiting for the level to reach its floor, 1 rising, 2 done
        var state = [UInt8](repeating: 2, count: loads.count)
        var share = floors
        var remaining = 0
        for index in loads.indices {
            for c in loads[index] { slack[c] -= floors[index] }
            guard caps[index] > floors[index] else { continue }
            state[index] = 0
            remaining += 1
            for c in loads[index] { behind[c].append(index) }
        }
        let waiting = loads.indices.filter { state[$0] == 0 }
        let byFloor = waiting.sorted { floors[$0] < floors[$1] }
        let byCap = waiting.sorted { caps[$0] < caps[$1] }
        var nextFloor = 0, nextCap = 0
        var level = byFloor.first.map { floors[$0] } ?? 0
        func freeze(_ index: Int) {
            if state[index] == 1 {
                share[index] = min(max(level, floors[index]), caps[index])
                for c in loads[index] { count[c] -= 1 }
            }
            state[index] = 2
            remaining -= 1
        }
        func join() -> Int {
            var joined = 0
            while nextFloor < byFloor.count, floors[byFloor[nextFloor]] - level <= epsilon {
                let index = byFloor[nextFloor]
                nextFloor += 1
                guard state[index] == 0 else { continue }
                state[index] = 1
                joined += 1
                for c in loads[index] { count[c] += 1 }
            }
            return joined
        }
        _ = join()
        while remaining > 0 {
            while nextFloor < byFloor.count, state[byFloor[nextFloor]] != 0 { nextFloor += 1 }
            while nextCap < byCap.count, state[byCap[nextCap]] != 1 && state[byCap[nextCap]] != 0 { nextCap += 1 }
            var step = nextFloor < byFloor.count ? floors[byFloor[nextFloor]] - level : .infinity
            if nextCap < byCap.count { step = min(step, caps[byCap[nextCap]] - level) }
            for c in 0..<constraintCount where count[c] > 0 { step = min(step, slack[c] / Double(count[c])) }
            guard step.isFinite else { break }
            step = max(0, step)
            level += step
            for c in 0..<constraintCount where count[c] > 0 { slack[c] -= step * Double(count[c]) }
            let before = remaining
            while nextCap < byCap.count, caps[byCap[nextCap]] - level <= epsilon {
                if state[byCap[nextCap]] == 1 { freeze(byCap[nextCap]) }
                nextCap += 1
            }
            for c in 0..<constraintCount where count[c] > 0 && slack[c] <= epsilon {
                for index in behind[c] where state[index] != 2 { freeze(index) }
            }
            if join() == 0, remaining == before {   // rounding left no exact zero: stop here (never above a limit)
                for index in loads.indices where state[index] != 2 { freeze(index) }
            }
        }
        for index in loads.indices where state[index] == 1 { share[index] = min(max(level, floors[index]), caps[index]) }
        return share
    }
}
