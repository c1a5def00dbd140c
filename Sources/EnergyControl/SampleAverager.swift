/// A meter's moving average for noisy sites (Bender CC613 §7.4.1, Mennekes ECU §7: averaging and
/// sample rate). Only increases wait for it: the loops see, per phase, the larger of the newest
/// sample and the average over `window` seconds — more import means less room — so a load that
/// drops frees current only as the average follows, and a load that rises cuts at once.
public struct SampleAverager: Sendable, Equatable {
    public let window: Seconds
    private var samples: [GridSample] = []
    /// A bound on memory whatever the meter's rate (a sample every 50 ms over 5 minutes).
    static let capacity = 6000

    public init(window: Seconds) { self.window = window }

    /// Takes a plausible sample; returns what the loops should act on.
    public mutating func add(_ sample: GridSample) -> GridSample {
        guard window > 0 else { return sample }
        samples.append(sample)
        samples.removeAll { $0.time < sample.time - window }
        if samples.count > Self.capacity { samples.removeFirst(samples.count - Self.capacity) }
        let count = Double(samples.count)
        var conservative = sample
        for phase in 0..<3 {
            let average = samples.reduce(0) { $0 + $1.currents[phase] } / count
            conservative.currents[phase] = max(sample.currents[phase], average)
        }
        conservative.power = max(sample.power, samples.reduce(0) { $0 + $1.power } / count)
        return conservative
    }
}
