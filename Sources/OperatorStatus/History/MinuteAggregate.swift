/// The samples of one wall-clock minute folded into one: the mean of every value and the highest
/// grid current per phase. An absent value (NaN) is left out of the mean; a value absent all
/// minute stays absent.
struct MinuteAggregate: Sendable {
    /// Minutes since 1970.
    let minute: Int
    private var count = 0
    private var sums: [Double]
    private var counts: [Int]
    private var gridMax = [Float](repeating: -.infinity, count: 3)

    init(minute: Int, chargers: Int) {
        self.minute = minute
        sums = [Double](repeating: 0, count: Self.fixed + chargers)
        counts = [Int](repeating: 0, count: Self.fixed + chargers)
    }

    static func minute(of time: Double) -> Int { Int((time / 60).rounded(.down)) }

    /// The values in a fixed order: 3 grid currents, grid, PV, battery, house, chargers, chargers' current, then each charger.
    private static let fixed = 9
    private static func values(_ sample: HistorySample) -> [Float] {
        sample.gridCurrent.all + [sample.gridW, sample.pvW, sample.batteryW, sample.houseW, sample.chargersW, sample.chargersCurrent]
            + sample.chargerCurrents
    }

    mutating func add(_ sample: HistorySample) {
        count += 1
        for (index, value) in Self.values(sample).prefix(sums.count).enumerated() where value.isFinite {
            sums[index] += Double(value)
            counts[index] += 1
        }
        for (phase, value) in sample.gridCurrentMax.all.enumerated() where value.isFinite { gridMax[phase] = max(gridMax[phase], value) }
    }

    var isEmpty: Bool { count == 0 }

    /// The minute as one sample, timed at the minute's start.
    var sample: HistorySample {
        let means = zip(sums, counts).map { sum, count in count == 0 ? Float.nan : Float(sum / Double(count)) }
        let highest = gridMax.map { $0.isFinite ? $0 : .nan }
        return HistorySample(time: Double(minute) * 60, gridCurrent: .init(l1: means[0], l2: means[1], l3: means[2]),
                             gridCurrentMax: .init(l1: highest[0], l2: highest[1], l3: highest[2]),
                             gridW: means[3], pvW: means[4], batteryW: means[5], houseW: means[6], chargersW: means[7],
                             chargersCurrent: means[8], chargerCurrents: Array(means[Self.fixed...]))
    }
}
