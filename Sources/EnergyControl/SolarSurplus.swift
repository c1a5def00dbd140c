/// A power reading of a PV or battery meter, validated before it gets here. Signs: PV
/// production positive; battery discharge positive, charge negative.
public struct PowerSample: Sendable, Equatable {
    public var time: Seconds
    public var watts: Double

    public init(time: Seconds, watts: Double) {
        self.time = time
        self.watts = watts
    }

    public var isPlausible: Bool { watts.isFinite && abs(watts) < 10_000_000 }
}

/// Where the sun modes' surplus is measured.
public enum SurplusSource: Sendable, Equatable {
    /// The grid meter (with or without a PV meter as a cross-check).
    case grid
    /// A PV meter alone: production minus the house's assumed base load.
    case pv
}

/// The surplus the sun-mode chargers share, in watts [SPEC §6.2]. Pure.
///
/// - grid: export + what the sun-mode chargers draw (a meter including them), or export − what the
///   other chargers draw (a meter excluding them).
/// - pv (no grid meter): PV production − `houseBaseW` − what the other chargers draw. The house's
///   real consumption above `houseBaseW` is not seen: the difference comes from the grid.
///
/// Then the house battery: its discharge is subtracted unless `carMayDischargeBattery`; the power it
/// charges with is added (grid) or is not subtracted (pv) only with `carBeforeBattery`. A battery
/// without a fresh reading counts as neither.
public enum SolarSurplus {
    public static func watts(source: SurplusSource, grid: GridSample?, pv: PowerSample?, battery: PowerSample?,
                             sunChargersW: Double, otherChargersW: Double, location: MeterLocation, settings: SunSettings) -> Double? {
        var surplus: Double
        switch source {
        case .grid:
            guard let grid else { return nil }
            surplus = location == .including ? -grid.power + sunChargersW : -grid.power - otherChargersW
        case .pv:
            guard let pv else { return nil }
            surplus = max(0, pv.watts) - settings.houseBaseW - otherChargersW
        }
        guard let battery = battery?.watts else { return surplus }
        if battery > 0, !settings.carMayDischargeBattery { surplus -= battery }
        if battery < 0 {
            // the grid meter sees only what the battery leaves; a PV meter sees what it takes too
            switch source {
            case .grid: if settings.carBeforeBattery { surplus += -battery }
            case .pv: if !settings.carBeforeBattery { surplus -= -battery }
            }
        }
        return surplus
    }
}
