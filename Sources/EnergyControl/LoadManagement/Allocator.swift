/// How current is shared among the vehicles of a zone tree [SPEC §6.3].
public enum AllocationPolicy: Sendable, Equatable {
    /// Max–min fair: water-filling capped at each charger's maximum.
    case equalShare
    /// Earlier arrivals get their maximum first; a new EV waits while less than its minimum remains.
    case fifo
    /// `percent` of the capacity is given FIFO, the rest shared equally.
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

/// Shares the available current per zone and phase among the participants. Pure; O(participants ×
/// depth) per water-filling round. Internally every (zone, phase) is one flat index, zone × 3 + phase,
/// and each participant's list of them is computed once.
public enum Allocator {
    /// - Parameter available: per zone and grid phase, what the EVs may draw in total.
    /// - Returns: whole amperes per participant (0 = paused), never breaking any zone's limit on any phase.
    public static func allocate(_ participants: [Participant], tree: ZoneTree, available: [[Double]],
                                policy: AllocationPolicy, pauseOrder: PauseOrder = .highestPlugFirst) -> [Int] {
        var slack = available.flatMap { $0.map { max(0, $0) } }
        let loads = participants.map { flatConstraints($0, tree: tree) }
        var result = [Int](repeating: 0, count: participants.count)
        // Priority vehicles first, with everything; the others share what they leave; queued ones last.
        let queued = participants.indices.filter { participants[$0].queued }
        let priority = participants.indices.filter { participants[$0].priority && !participants[$0].queued }
        let normal = participants.indices.filter { !participants[$0].priority && !participants[$0].queued }
        for group in [priority, normal, queued] where !group.isEmpty {
            let amounts = allocateGroup(group, participants, loads: loads, slack: slack, policy: policy, pauseOrder: pauseOrder)
            for (index, amperes) in zip(group, amounts) where amperes > 0 {
                result[index] = amperes
                for c in loads[index] { slack[c] -= Double(amperes) }
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

    /// One group: the policy's split, then pausing one EV at a time until everyone left gets its minimum.
    static func allocateGroup(_ group: [Int], _ participants: [Participant], loads: [[Int]], slack: [Double],
                              policy: AllocationPolicy, pauseOrder: PauseOrder) -> [Int] {
        var active = group.filter { participants[$0].maximum >= participants[$0].minimum }
        while true {
            let amounts = split(active, participants, loads: loads, slack: slack, policy: policy)
            let short = active.indices.filter { amounts[$0] > 0 && Double(amounts[$0]) < participants[active[$0]].minimum }
            if short.isEmpty {
                var byIndex = [Int](repeating: 0, count: participants.count)
                for (offset, index) in active.enumerated() { byIndex[index] = amounts[offset] }
                return group.map { byIndex[$0] }
            }
            // Not enough for everyone at the minimum: pause one EV (by policy) among those that
            // share a zone phase with a short one (pausing elsewhere would not help), and share again.
            var tight = Set<Int>()
            for offset in short { tight.formUnion(loads[active[offset]]) }
            let candidates = active.filter { index in loads[index].contains { tight.contains($0) } }
            let victim = candidates.max { a, b in pausesBefore(participants[b], participants[a], order: pauseOrder) }!
            active.removeAll { $0 == victim }
        }
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

    /// The policy's split among `active`; an amount below a participant's minimum marks a shortage
    /// (FIFO instead lets a late EV wait at 0).
    static func split(_ active: [Int], _ participants: [Participant], loads: [[Int]], slack: [Double], policy: AllocationPolicy) -> [Int] {
        var slack = slack
        var fifo = [Double](repeating: 0, count: active.count)
        let fifoShare: Double
        switch policy {
        case .equalShare: fifoShare = 0
        case .fifo: fifoShare = 1
        case .combined(let percent): fifoShare = min(1, max(0, percent / 100))
        }
        if fifoShare > 0 {
            var fifoSlack = slack.map { $0 * fifoShare }
            let order = active.indices.sorted {
                let a = participants[active[$0]], b = participants[active[$1]]
                return a.arrival != b.arrival ? a.arrival < b.arrival : a.plug < b.plug
            }
            for offset in order {
                let index = active[offset]
                let participant = participants[index]
                let amperes = min(participant.maximum, room(fifoSlack, loads[index])).rounded(.down)
                // FIFO: a vehicle waits while less than its minimum remains (combined: the equal part may still reach it)
                guard amperes >= (fifoShare == 1 ? participant.minimum : 1) else { continue }
                fifo[offset] = amperes
                for c in loads[index] {
                    fifoSlack[c] -= amperes
                    slack[c] -= amperes
                }
            }
        }
        guard fifoShare < 1 else { return fifo.map { Int($0) } }   // pure FIFO: a waiting vehicle is not a shortage
        let shares = waterFill(active.map { loads[$0] }, caps: active.indices.map { participants[active[$0]].maximum - fifo[$0] }, slack: slack)
        return active.indices.map { Int((fifo[$0] + shares[$0]).rounded(.down)) }
    }

    /// Max–min fair shares under every (zone, phase) constraint: all levels rise together; a vehicle
    /// stops at its cap, and every vehicle behind a constraint stops when that constraint is full.
    /// Each round ends at a cap or a full constraint, so there are at most (distinct caps +
    /// constraints) rounds of O(constraints) work, plus O(members × depth) to freeze: linear in EVs.
    static func waterFill(_ loads: [[Int]], caps: [Double], slack initial: [Double]) -> [Double] {
        let constraintCount = initial.count
        var slack = initial
        var count = [Int](repeating: 0, count: constraintCount)
        var behind = [[Int]](repeating: [], count: constraintCount)
        var active = caps.map { $0 > 0 }
        var remaining = 0
        for index in loads.indices where active[index] {
            remaining += 1
            for c in loads[index] { count[c] += 1; behind[c].append(index) }
        }
        let byCap = loads.indices.filter { active[$0] }.sorted { caps[$0] < caps[$1] }
        var nextCap = 0
        var share = [Double](repeating: 0, count: loads.count)
        var level = 0.0
        let epsilon = 1e-9
        func freeze(_ index: Int) {
            active[index] = false
            remaining -= 1
            share[index] = min(level, caps[index])
            for c in loads[index] { count[c] -= 1 }
        }
        while remaining > 0 {
            while nextCap < byCap.count, !active[byCap[nextCap]] { nextCap += 1 }
            var step = nextCap < byCap.count ? caps[byCap[nextCap]] - level : .infinity
            for c in 0..<constraintCount where count[c] > 0 { step = min(step, slack[c] / Double(count[c])) }
            step = max(0, step)
            level += step
            for c in 0..<constraintCount where count[c] > 0 { slack[c] -= step * Double(count[c]) }
            let before = remaining
            while nextCap < byCap.count, caps[byCap[nextCap]] - level <= epsilon {
                if active[byCap[nextCap]] { freeze(byCap[nextCap]) }
                nextCap += 1
            }
            for c in 0..<constraintCount where count[c] > 0 && slack[c] <= epsilon {
                for index in behind[c] where active[index] { freeze(index) }
            }
            if remaining == before {   // rounding left no exact zero: stop here (never above a limit)
                for index in loads.indices where active[index] { freeze(index) }
            }
        }
        return share
    }
}
