extension SiteController {
    /// The utility's power limit, never below the §14a floor, shared among the chargers that can
    /// charge (after every other cap) by the site's policy (`PowerBudget`): each gets a power share
    /// as a current on the phases it uses.
    /// - Parameter time: local time, for the priority hours.
    func shareUtilityLimit(_ limitW: Double, _ chargers: [ChargerControlInput], _ caps: inout [CapSet], time: LocalTime?) {
        // a charger out of contact may still draw what it last had (its ceiling when that is not known):
        // kept out of the budget, at the highest grid voltage, so the chargers together stay within it
        let unreachableW = chargers.filter { !$0.status.online }.reduce(0.0) { sum, charger in
            sum + Double(charger.lastSetpoint ?? charger.limits.ceiling) * settings.voltage * 1.1 * Double(charger.limits.phases)
        }
        let budget = max(0, max(limitW, settings.utility.floorW(chargers: chargers.count)) - unreachableW)
        // watts per ampere on the phases it uses, at the voltages it measures (nominal when it reports none):
        // at 240 V a share converted at 230 V would draw 4 % more than the limit
        let watts = chargers.map { charger in
            let volts = charger.status.voltages.prefix(charger.phasesInUse).map { $0.isFinite && $0 >= 100 && $0 <= 300 ? $0 : settings.voltage }
            return volts.count == charger.phasesInUse ? volts.reduce(0, +) : settings.voltage * Double(charger.phasesInUse)
        }
        let claims = chargers.indices.map { index in
            let charger = chargers[index]
            let most = charger.plugged && charger.status.online ? min(Double(charger.limits.ceiling), caps[index].reachable) : 0
            // priority as load management has it (chargers, id tags, the hours), and a forced charge;
            // the highest plug pauses first, as load management's default pause order
            let priority = charger.forced || (load?.settings ?? LoadSettings()).hasPriority(charger: charger.priority, idTag: charger.status.idTag,
                                                                                                            listTags: load?.listPriorityTags ?? [], time: time)
            return PowerBudget.Claim(minimumW: charger.minimum * watts[index], maximumW: most >= charger.minimum ? most * watts[index] : 0,
                                     priority: priority, pauseOrder: charger.plug ?? index + 1)
        }
        let shares = PowerBudget.split(budget, claims)
        for index in chargers.indices where claims[index].maximumW > 0 {
            caps[index].add(CurrentCap(shares[index] / watts[index], .utility))
        }
    }
}
