/// Where the site's power goes, from the meters' roles and the chargers: what the status page's
/// energy-flow tiles show and the history samples. Signs: grid + import / − export; PV ≥ 0
/// (production); battery + discharging into the house / − charging; chargers ≥ 0.
public struct EnergyFlow: Sendable, Equatable {
    public enum Figure: Sendable, Equatable {
        /// No meter has that role.
        case noMeter
        /// The meter is offline or gives no power.
        case unavailable
        case watts(Double)

        public var watts: Double? { if case .watts(let value) = self { value } else { nil } }
    }

    public var grid: Figure
    /// Grid current per phase (the grid meter's current.l1…l3), nil without them.
    public var gridCurrents: [Double]?
    public var pv: Figure
    public var battery: Figure
    /// The online chargers' power together.
    public var chargersW: Double
    public var chargersOnline: Int
    public var chargersCharging: Int
    /// grid + PV + battery − chargers, never below 0.
    public var house: Figure
    /// The house came out below 0 (the meters disagree, e.g. read at different moments); the
    /// negative figure, for the note beside the 0 shown.
    public var houseBelowZeroW: Double?

    /// - Parameter gridIncludesChargers: the grid meter sits at the main switch (`meter_location:
    ///   including`); otherwise it measures the other loads only and the grid is that plus the chargers.
    public static func of(meters: [SiteStatus.Meter], chargers: [SiteStatus.Charger], gridIncludesChargers: Bool = true) -> EnergyFlow {
        let online = chargers.filter(\.online)
        let chargersW = online.map(\.powerW).filter(\.isFinite).reduce(0, +)
        let gridMeter = meters.first { $0.role == SiteStatus.Meter.Role.grid }
        var grid = figure(meters.filter { $0.role == SiteStatus.Meter.Role.grid }, transform: { $0 })
        if !gridIncludesChargers, let metered = grid.watts { grid = .watts(metered + chargersW) }
        let pv = figure(meters.filter { $0.role == SiteStatus.Meter.Role.pv }, transform: abs)
        let battery = figure(meters.filter { $0.role == SiteStatus.Meter.Role.battery }, transform: { $0 })
        var flow = EnergyFlow(grid: grid, gridCurrents: gridMeter.flatMap(currents), pv: pv, battery: battery, chargersW: chargersW,
                              chargersOnline: online.count, chargersCharging: online.filter { $0.powerW > 50 }.count,
                              house: .noMeter, houseBelowZeroW: nil)
        switch grid {
        case .noMeter: flow.house = .noMeter
        case .unavailable: flow.house = .unavailable
        case .watts(let gridW):
            // an absent PV or battery counts 0; one that is there but not read leaves the house unknown
            guard pv != .unavailable, battery != .unavailable else { flow.house = .unavailable; break }
            let house = gridW + (pv.watts ?? 0) + (battery.watts ?? 0) - chargersW
            flow.house = .watts(max(0, house))
            if house < 0 { flow.houseBelowZeroW = house }
        }
        return flow
    }

    /// The meters of one role together: none → no meter; any without a power reading → unavailable.
    static func figure(_ meters: [SiteStatus.Meter], transform: (Double) -> Double) -> Figure {
        guard !meters.isEmpty else { return .noMeter }
        var total = 0.0
        for meter in meters {
            guard meter.online, let watts = power(meter) else { return .unavailable }
            total += transform(watts)
        }
        return .watts(total)
    }

    /// power.total, or the three phases' powers added.
    static func power(_ meter: SiteStatus.Meter) -> Double? {
        if let total = meter.value("power.total"), total.isFinite { return total }
        let phases = ["power.l1", "power.l2", "power.l3"].compactMap { meter.value($0) }.filter(\.isFinite)
        return phases.count == 3 ? phases.reduce(0, +) : nil
    }

    static func currents(_ meter: SiteStatus.Meter) -> [Double]? {
        guard meter.online else { return nil }
        let values = ["current.l1", "current.l2", "current.l3"].map { meter.value($0) ?? .nan }
        return values.contains(where: \.isFinite) ? values : nil
    }
}

extension SiteStatus.Meter {
    /// The value of a quantity (values are sorted by name: a binary search would do, but meters have few).
    public func value(_ name: String) -> Double? { values.first { $0.name == name }?.value }
}
