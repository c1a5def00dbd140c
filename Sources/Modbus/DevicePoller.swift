import RegisterMaps

/// The result of one poll of a device.
public struct PollOutcome: Sendable {
    public let readings: [Reading]
    /// Requests sent in this poll.
    public let requests: Int
    /// Wall time of the whole poll.
    public let duration: Duration
    /// Set when no request got any answer (not even an exception): the device is silent or away.
    public let silence: ModbusError?
    /// Every request that failed, in order.
    public let failures: [ModbusError]

    public init(readings: [Reading], requests: Int, duration: Duration, silence: ModbusError?, failures: [ModbusError]) {
        self.readings = readings
        self.requests = requests
        self.duration = duration
        self.silence = silence
        self.failures = failures
    }
}

/// Reads every quantity of a map from one device, one request per planned block.
///
/// If the device refuses a coalesced block (exception 02/03, e.g. a meter variant without one of
/// the registers), that block is split into one request per quantity from then on, so one missing
/// register never hides its neighbours.
public final class DevicePoller {
    public let map: RegisterMap
    public private(set) var blocks: [ReadBlock]
    private let client: ModbusClient

    /// - Parameter coalesce: false sends one request per quantity (the benchmark's baseline).
    public init(map: RegisterMap, client: ModbusClient, coalesce: Bool = true) {
        self.map = map
        self.client = client
        blocks = coalesce ? BlockPlanner.plan(map.quantities, settings: map.planner) : BlockPlanner.onePerQuantity(map.quantities)
    }

    /// One poll. A failed request marks its quantities missing; the others are still read. A link
    /// that cannot be opened fails the rest of the poll at once instead of waiting out every timeout.
    public func poll() -> PollOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var plan: [ReadBlock] = []
        var answers: [Result<[UInt16], MissingReason>] = []
        var linkDown: ModbusError?
        var sent = 0
        var answered = 0
        var failures: [ModbusError] = []
        var pending = blocks[...]
        // the device's unit id; a block whose quantities declare `unit_id` is read from that one
        let unit = client.unit
        defer { if client.unit != unit { client.unit = unit } }
        while let block = pending.popFirst() {
            plan.append(block)
            if let linkDown {
                answers.append(.failure(.readFailed(linkDown.description)))
                continue
            }
            sent += 1
            do {
                if client.unit != block.unitID ?? unit { client.unit = block.unitID ?? unit }
                answers.append(.success(try client.read(block.function, address: block.address, count: block.count)))
                answered += 1
            } catch {
                failures.append(error)
                if case .exception = error { answered += 1 }
                if case .exception(let code) = error, code == 2 || code == 3, block.members.count > 1 {
                    plan.removeLast()
                    pending.insert(contentsOf: BlockPlanner.split(block.members, of: map.quantities), at: pending.startIndex)
                    continue
                }
                switch error {
                case .connection, .unreachable, .serialDevice: linkDown = error
                default: break
                }
                answers.append(.failure(.readFailed(error.description)))
            }
        }
        blocks = plan
        let readings = PollDecoder.decode(map.quantities, blocks: plan, answers: answers)
        let silence = sent > 0 && answered == 0 ? linkDown ?? failures.last : nil
        return PollOutcome(readings: readings, requests: sent, duration: clock.now - start, silence: silence, failures: failures)
    }
}
