/// Calls from the central system to one charge point (OCPP-J 1.6 §4.1.1): at most one outstanding
/// CALL, answered or given up after the timeout; unique message ids; a queued call with the same
/// key is replaced by a newer one (only the latest setpoint matters). Pure: time is a parameter.
public struct OutgoingCalls: Sendable {
    public struct Pending: Sendable, Equatable {
        public var action: String
        public var payload: JSONValue
        public var key: String
    }

    /// A call that got its answer (or none in time).
    public struct Outcome: Sendable, Equatable {
        public var action: String
        public var key: String
        public var payload: JSONValue
        /// The CALLRESULT payload, or the CALLERROR code and description (or "timeout").
        public var answer: Result<JSONValue, OCPPFailure>
    }

    public let timeout: Double
    public private(set) var queue: [Pending] = []
    public private(set) var outstanding: (id: String, call: Pending, sentAt: Double)?
    private var counter: UInt64 = 0
    private let prefix: String

    /// `prefix` makes ids unique across connections and restarts (e.g. the start time).
    public init(prefix: String, timeout: Double = 30) {
        self.prefix = prefix
        self.timeout = timeout
    }

    /// Queues a call; one with the same key still waiting is replaced. `urgent` puts it first (a
    /// decrease must not wait behind configuration calls).
    public mutating func enqueue(_ action: String, _ payload: JSONValue, key: String, urgent: Bool = false) {
        let call = Pending(action: action, payload: payload, key: key)
        if let index = queue.firstIndex(where: { $0.key == key }) {
            queue.remove(at: index)
        }
        if urgent { queue.insert(call, at: 0) } else { queue.append(call) }
    }

    public func isQueued(key: String) -> Bool { queue.contains { $0.key == key } || outstanding?.call.key == key }

    /// The next CALL to send, when none is outstanding.
    public mutating func next(now: Double) -> Frame? {
        guard outstanding == nil, !queue.isEmpty else { return nil }
        let call = queue.removeFirst()
        counter += 1
        let id = "\(prefix)-\(counter)"
        outstanding = (id, call, now)
        return .call(id: id, action: call.action, payload: call.payload)
    }

    /// Matches a CALLRESULT or CALLERROR to the outstanding call (nil: not ours, ignored).
    public mutating func receive(_ frame: Frame) -> Outcome? {
        guard let current = outstanding else { return nil }
        switch frame {
        case .result(let id, let payload) where id == current.id:
            outstanding = nil
            return Outcome(action: current.call.action, key: current.call.key, payload: current.call.payload, answer: .success(payload))
        case .error(let id, let code, let description, _) where id == current.id:
            outstanding = nil
            let failure = OCPPFailure(OCPPErrorCode(wire: code) ?? .genericError, "\(code): \(description)")
            return Outcome(action: current.call.action, key: current.call.key, payload: current.call.payload, answer: .failure(failure))
        default:
            return nil
        }
    }

    /// Gives up on an outstanding call older than the timeout.
    public mutating func expire(now: Double) -> Outcome? {
        guard let current = outstanding, now - current.sentAt >= timeout else { return nil }
        outstanding = nil
        return Outcome(action: current.call.action, key: current.call.key, payload: current.call.payload,
                       answer: .failure(OCPPFailure(.genericError, "no answer within \(Int(timeout)) s")))
    }

    /// The connection is gone: nothing outstanding, nothing queued (a new connection starts afresh).
    public mutating func reset() {
        queue = []
        outstanding = nil
    }
}
