extension SiteController {
    /// The utility's power limit, never below the §14a floor, shared among the chargers that can
    /// charge (after every other cap): each gets a power share as a current on the phases it uses.
    func shareUtilityLimit(_ limitW: Double, _ chargers: [ChargerControlInput], _ caps: inout [CapSet]) {
        let budget = max(limitW, settings.utility.floorW(chargers: chargers.count))
        // watts per ampere on the phases it uses, at the voltages it measures (nominal when it reports none):
        // at 240 V a share converted at 230 V would draw 4 % more than the limit
        let watts = chargers.map { charger in
            let volts = charger.status.voltages.prefix(charger.phasesInUse).map { $0.isFinite && $0 >= 100 && $0 <= 300 ? $0 : settings.voltage }
            return volts.count == charger.phasesInUse ? volts.reduce(0, +) : settings.voltage * Double(charger.phasesInUse)
        }
        let claims = chargers.indices.map { index in
            let charger = chargers[index]
            let most = charger.plugged && charger.status.online ? min(Double(charger.limits.ceiling), caps[index].reachable) : 0
            return PowerBudget.Claim(minimumW: charger.minimum * watts[index], maximumW: most >= charger.minimum ? most * watts[index] : 0)
        }
        let shares = PowerBudget.split(budget, claims)
        for index in chargers.indices where claims[index].maximumW > 0 {
            caps[index].add(CurrentCap(shares[index] / watts[index], .utility))
        }
    }
}
