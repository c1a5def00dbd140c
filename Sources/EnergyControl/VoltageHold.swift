/// The voltages a meter's kW limit is converted at, made safe against a noisy reading: per phase the
/// highest (checked) voltage of the last `window` seconds. A higher voltage means less current, so a
/// rise counts at the sample that shows it (the current falls at once), while a fall counts only
/// once every sample of the window shows it. The ramp alone would not be enough: an increase that
/// falls due just as one low sample arrives would hand out current the next sample takes back.
public struct VoltageHold: Sendable, Equatable {
    /// Long enough to outlast a motor start's dip and a meter's odd sample, short next to the ramp.
    public static let window: Seconds = 5
    /// A bound on memory whatever the meter's rate (a sample every 10 ms over the window).
    static let capacity = 500

    struct Entry: Sendable, Equatable {
        var time: Seconds
        var voltages: [Double]
    }
    private var entries: [Entry] = []

    public init() {}

    /// Takes a sample's voltages (nil: the meter gives none; implausible phases count as nominal)
    /// and returns, per phase, the highest of the window.
    public mutating func add(_ measured: [Double]?, at time: Seconds) -> [Double] {
        entries.append(Entry(time: time, voltages: PowerLimit.voltages(measured)))
        entries.removeAll { $0.time < time - Self.window }
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        return (0..<3).map { phase in entries.reduce(0) { max($0, $1.voltages[phase]) } }
    }
}
