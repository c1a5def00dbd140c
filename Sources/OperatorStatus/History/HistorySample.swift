/// The site at one moment, as the charts draw it: single precision (plenty for a chart, half the
/// memory), NaN where a value was absent (a gap in the line, never a zero).
public struct HistorySample: Sendable, Equatable {
    /// Three values, one per phase, without an array's allocation.
    public struct Phases: Sendable, Equatable {
        public var l1: Float, l2: Float, l3: Float

        public static let absent = Phases(l1: .nan, l2: .nan, l3: .nan)

        public init(l1: Float, l2: Float, l3: Float) {
            self.l1 = l1
            self.l2 = l2
            self.l3 = l3
        }

        public init(_ values: [Double]?) {
            func at(_ index: Int) -> Float { values.map { index < $0.count ? Float($0[index]) : .nan } ?? .nan }
            self.init(l1: at(0), l2: at(1), l3: at(2))
        }

        public var all: [Float] { [l1, l2, l3] }

        public static func == (a: Phases, b: Phases) -> Bool {
            a.all.elementsEqual(b.all) { $0 == $1 || ($0.isNaN && $1.isNaN) }
        }
    }

    /// Wall-clock seconds since 1970 (the start of its minute for a day aggregate).
    public var time: Double
    /// Grid current per phase (a minute's mean in the day view).
    public var gridCurrent: Phases
    /// The highest grid current per phase (the sample itself in the hour view; a minute's maximum in the day view).
    public var gridCurrentMax: Phases
    public var gridW: Float
    public var pvW: Float
    public var batteryW: Float
    public var houseW: Float
    public var chargersW: Float
    /// All chargers' current: the highest phase of their per-phase sum.
    public var chargersCurrent: Float
    /// Each charger's highest phase current, for the first `SiteHistory.chargerSeriesLimit` chargers.
    public var chargerCurrents: [Float]

    public init(time: Double, gridCurrent: Phases, gridCurrentMax: Phases? = nil, gridW: Float, pvW: Float, batteryW: Float, houseW: Float,
                chargersW: Float, chargersCurrent: Float, chargerCurrents: [Float]) {
        self.time = time
        self.gridCurrent = gridCurrent
        self.gridCurrentMax = gridCurrentMax ?? gridCurrent
        self.gridW = gridW
        self.pvW = pvW
        self.batteryW = batteryW
        self.houseW = houseW
        self.chargersW = chargersW
        self.chargersCurrent = chargersCurrent
        self.chargerCurrents = chargerCurrents
    }

    /// The site as the status shows it now; an offline charger's current is absent (a gap), not 0.
    public static func of(_ status: SiteStatus, time: Double, chargerLimit: Int = SiteHistory.chargerSeriesLimit) -> HistorySample {
        let flow = EnergyFlow.of(meters: status.meters, chargers: status.chargers, gridIncludesChargers: status.gridIncludesChargers)
        func watts(_ figure: EnergyFlow.Figure) -> Float { figure.watts.map(Float.init) ?? .nan }
        var phaseSums = [0.0, 0.0, 0.0]
        for charger in status.chargers where charger.online {
            for (phase, current) in charger.currents.prefix(3).enumerated() where current.isFinite { phaseSums[phase] += current }
        }
        let currents = status.chargers.prefix(chargerLimit).map { charger -> Float in
            guard charger.online, let highest = charger.currents.filter(\.isFinite).max() else { return .nan }
            return Float(highest)
        }
        return HistorySample(time: time, gridCurrent: Phases(flow.gridCurrents), gridW: watts(flow.grid), pvW: watts(flow.pv),
                             batteryW: watts(flow.battery), houseW: watts(flow.house), chargersW: Float(flow.chargersW),
                             chargersCurrent: Float(phaseSums.max() ?? 0), chargerCurrents: currents)
    }

    public static func == (a: HistorySample, b: HistorySample) -> Bool {
        func same(_ x: Float, _ y: Float) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.time == b.time && a.gridCurrent == b.gridCurrent && a.gridCurrentMax == b.gridCurrentMax && same(a.gridW, b.gridW)
            && same(a.pvW, b.pvW) && same(a.batteryW, b.batteryW) && same(a.houseW, b.houseW) && same(a.chargersW, b.chargersW)
            && same(a.chargersCurrent, b.chargersCurrent) && a.chargerCurrents.elementsEqual(b.chargerCurrents, by: same)
    }
}
