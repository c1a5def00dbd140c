import RegisterMaps

/// Whether a polled device (meter, input) answers as it should, and what changed: unreachable at
/// start, lost, answering again — each with the reason (timeout, exception NN, NaN, an implausible
/// value). Pure; the bus thread logs what `observe` returns.
struct DeviceHealth {
    enum State: Equatable { case unknown, ok, failing(String) }

    private(set) var state = State.unknown
    private var failures = 0
    /// Failing polls in a row before a device that answered counts as lost (one lost frame is not).
    static let lostAfter = 2

    /// What went wrong with a poll, if anything: every value missing, or a value the loops need.
    static func problem(_ readings: [Reading], needs: (String) -> Bool) -> String? {
        let missing = readings.compactMap { reading -> (String, MissingReason)? in
            if case .failure(let reason) = reading.value { return (reading.name, reason) }
            return nil
        }
        if !readings.isEmpty, missing.count == readings.count, let first = missing.first { return first.1.description }
        return missing.first { needs($0.0) }.map { "\($0.0): \($0.1)" }
    }

    /// A log line when the device's state changes (nil: nothing to say).
    mutating func observe(problem: String?) -> (warning: Bool, text: String)? {
        guard let problem else {
            failures = 0
            defer { state = .ok }
            switch state {
            case .failing: return (false, "answers again")
            case .unknown: return (false, "online")
            case .ok: return nil
            }
        }
        failures += 1
        switch state {
        case .unknown:
            state = .failing(problem)
            return (true, "does not answer as expected: \(problem)")
        case .ok where failures >= Self.lostAfter:
            state = .failing(problem)
            return (true, "lost: \(problem)")
        default:
            return nil
        }
    }
}
