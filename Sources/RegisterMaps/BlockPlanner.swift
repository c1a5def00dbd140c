/// One read request of a poll: a run of registers (or bits) of one function.
public struct ReadBlock: Sendable, Equatable {
    public let function: RegisterFunction
    public let address: Int
    public let count: Int
    /// Indexes of the quantities (in the map's order) this block carries.
    public let members: [Int]
    /// The unit id the block is read from (nil: the device's unit).
    public var unitID: Int? = nil
}

/// Coalesces the quantities of one device into as few requests as possible.
public enum BlockPlanner {
    /// Quantities of one function and unit id, sorted by address, share a request while the request
    /// stays within the size limit and the hole between neighbours is at most `maxGap`.
    public static func plan(_ quantities: [Quantity], settings: PlannerSettings = .init()) -> [ReadBlock] {
        let order = quantities.indices.sorted {
            (quantities[$0].unitID ?? -1, quantities[$0].function, quantities[$0].address)
                < (quantities[$1].unitID ?? -1, quantities[$1].function, quantities[$1].address)
        }
        var blocks: [ReadBlock] = []
        var members: [Int] = []
        var start = 0, end = 0
        func close() {
            guard let first = members.first else { return }
            blocks.append(ReadBlock(function: quantities[first].function, address: start, count: end - start + 1, members: members,
                                    unitID: quantities[first].unitID))
            members = []
        }
        for index in order {
            let quantity = quantities[index]
            if let first = members.first {
                let function = quantities[first].function
                let limit = function.isBit ? function.maxPerRequest : settings.maxRegisters
                let newEnd = max(end, quantity.endAddress)
                let fits = quantity.function == function && quantity.unitID == quantities[first].unitID
                    && quantity.address - end - 1 <= settings.maxGap
                    && newEnd - start + 1 <= limit
                if fits {
                    members.append(index)
                    end = newEnd
                    continue
                }
                close()
            }
            members = [index]
            start = quantity.address
            end = quantity.endAddress
        }
        close()
        return blocks
    }

    /// The naive plan: one request per quantity (the baseline the benchmark compares against).
    public static func onePerQuantity(_ quantities: [Quantity]) -> [ReadBlock] {
        split(quantities.indices, of: quantities)
    }

    /// One block per listed quantity, keeping their indexes.
    public static func split<Indexes: Sequence<Int>>(_ members: Indexes, of quantities: [Quantity]) -> [ReadBlock] {
        members.map { index in
            let quantity = quantities[index]
            return ReadBlock(function: quantity.function, address: quantity.address, count: quantity.count, members: [index],
                             unitID: quantity.unitID)
        }
    }
}

/// The outcome of one quantity in a poll.
public struct Reading: Sendable, Equatable {
    public let name: String
    public let unit: String
    public let value: Result<Value, MissingReason>

    public init(name: String, unit: String, value: Result<Value, MissingReason>) {
        self.name = name
        self.unit = unit
        self.value = value
    }

    public var number: Double? {
        if case .success(.number(let value)) = value { return value }
        return nil
    }
}

/// Turns the answers to a plan's requests into readings, in the map's quantity order.
public enum PollDecoder {
    /// `answers[i]` holds the registers (or bits as 0/1) of `blocks[i]`, or why the request failed.
    public static func decode(_ quantities: [Quantity], blocks: [ReadBlock], answers: [Result<[UInt16], MissingReason>]) -> [Reading] {
        precondition(blocks.count == answers.count, "one answer per block")
        var results = [Result<Value, MissingReason>?](repeating: nil, count: quantities.count)
        for (block, answer) in zip(blocks, answers) {
            for index in block.members {
                let quantity = quantities[index]
                switch answer {
                case .failure(let reason):
                    results[index] = .failure(reason)
                case .success(let words):
                    let from = quantity.address - block.address
                    guard from >= 0, from + quantity.count <= words.count else {
                        results[index] = .failure(.readFailed("short answer"))
                        continue
                    }
                    results[index] = Codec.decode(words[from..<(from + quantity.count)], as: quantity)
                }
            }
        }
        return quantities.indices.map { index in
            Reading(name: quantities[index].name, unit: quantities[index].unit.siSymbol,
                    value: results[index] ?? .failure(.readFailed("not planned")))
        }
    }
}
