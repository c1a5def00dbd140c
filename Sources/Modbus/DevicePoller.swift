import RegisterMaps

/// The result of one poll of a device.
public struct PollOutcome: Sendable {
    public let readings: [Reading]
    /// Requests sent in this poll.
    public let requests: Int
    /// Wall time of the whole poll.
    public let duration: Duration
}

/// Reads every quantity of a map from one device, one request per planned block.
public final class DevicePoller {
    public let map: RegisterMap
    public let blocks: [ReadBlock]
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
        var answers: [Result<[UInt16], MissingReason>] = []
        var linkDown: ModbusError?
        var sent = 0
        for block in blocks {
            if let linkDown {
                answers.append(.failure(.readFailed(linkDown.description)))
                continue
            }
            sent += 1
            do {
                answers.append(.success(try client.read(block.function, address: block.address, count: block.count)))
            } catch {
                if case .connection = error { linkDown = error }
                if case .serialDevice = error { linkDown = error }
                answers.append(.failure(.readFailed(error.description)))
            }
        }
        let readings = PollDecoder.decode(map.quantities, blocks: blocks, answers: answers)
        return PollOutcome(readings: readings, requests: sent, duration: clock.now - start)
    }
}
