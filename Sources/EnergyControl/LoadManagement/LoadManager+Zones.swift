/// Zone availability, allocation with unbalanced-load prevention, pause bookkeeping, degraded
/// setpoints and zone states: the parts of a load-manager step.
extension LoadManager {
    struct ZoneAvailability {
        /// What the EVs below each zone may draw per grid phase.
        var available: [[Double]]
        /// What the other loads of each zone draw per phase (0 where unknown).
        var base: [[Double]]
        var modes: [ZoneReport.Mode]
        var percents: [Double]
    }

    /// - Parameter limits: each zone's limit now (`limitsInForce`).
    func zoneAvailability(_ inputs: [LoadChargerInput], zoneOf: [Int], now: Seconds, time: LocalTime?, siteInputs: SiteInputs,
                          limits: [[Double]], reductionPercent: [Double], downgradeOffset: [Double],
                          site: (perPhase: [Double], reason: LimitReason)?) -> ZoneAvailability {
        let count = tree.zones.count
        var result = ZoneAvailability(available: Array(repeating: [0, 0, 0], count: count), base: Array(repeating: [0, 0, 0], count: count),
                                      modes: Array(repeating: .static, count: count), percents: Array(repeating: 100, count: count))
        if offset == 1 {
            result.available[0] = site?.perPhase ?? [0, 0, 0]
            result.modes[0] = site?.reason == .meterLost ? .degraded : .dynamic
        }
        // what the chargers of each zone draw per grid phase (for meters that see them)
        var evDraw = [[Double]](repeating: [0, 0, 0], count: count)
        for (index, charger) in inputs.enumerated() where charger.online {
            let phases = charger.rotation.gridPhases(vehiclePhases: 3)
            for (line, phase) in phases.enumerated() {
                for zone in tree.paths[zoneOf[index]] { evDraw[zone][phase] += max(0, charger.currents[line]) }
            }
        }
        // a digital-input reduction wins over time of use (lowest active input) [SPEC §7]
        let reductions = siteInputs.reductions.compactMap { reductionPercent.indices.contains($0) ? reductionPercent[$0] : nil }
        for (k, zone) in settings.zones.enumerated() {
            let z = k + offset
            let limit = limits[k]
            var ceiling = self.ceiling(zone: k, limit: limit)
            if siteInputs.downgrade, zone.parent == nil {
                ceiling = zip(ceiling, downgradeOffset + [0, 0, 0]).map { max(0, $0 - $1) }
            }
            let percent = reductions.min() ?? time.map { settings.timeOfUse?.percent(at: $0, disabled: zone.disabledPeriods, tariff: siteInputs.tariff) ?? 100 } ?? 100
            result.percents[z] = percent
            ceiling = zip(ceiling, limit).map { min($0, $1 * percent / 100) }
            guard zone.dynamic else {
                result.available[z] = zip(ceiling, zone.effectiveHeadroom).map { max(0, $0 - $1) }
                continue
            }
            if let sample = zoneSamples[k], now - sample.time <= settings.meterStaleAfter {
                let others = (0..<3).map { sample.currents[$0] - (zone.meterIncludesChargers ? evDraw[z][$0] : 0) }
                result.base[z] = others
                result.modes[z] = .dynamic
                result.available[z] = (0..<3).map { max(0, min(ceiling[$0], limit[$0] - others[$0]) - zone.effectiveHeadroom[$0]) }
            } else {
                // meter lost: the zone turns static at its degraded limit
                result.modes[z] = .degraded
                result.available[z] = (0..<3).map { max(0, min(ceiling[$0], zone.degradedLimit[$0])) }
            }
        }
        reserveMeteredLoads(&result)
        return result
    }

    /// The other loads a dynamic zone's meter sees also flow through its ancestors. An ancestor
    /// without a meter of its own (static) only knows its EVs, so it leaves room for them: what the
    /// meter reads now, or while that meter is lost the last reading it gave. A metered ancestor
    /// already sees them (and everything above it is covered by its own reading), so the walk stops there.
    func reserveMeteredLoads(_ result: inout ZoneAvailability) {
        for (k, zone) in settings.zones.enumerated() where zone.dynamic {
            let z = k + offset
            let others = (result.modes[z] == .dynamic ? result.base[z] : lastOthers[k] ?? [0, 0, 0]).map { max(0, $0) }
            for ancestor in tree.paths[z].dropFirst() where ancestor >= offset {
                if settings.zones[ancestor - offset].dynamic { break }
                for phase in 0..<3 {
                    result.available[ancestor][phase] = max(0, result.available[ancestor][phase] - others[phase])
                    result.base[ancestor][phase] += others[phase]
                }
            }
        }
    }

    /// The policy's allocation, then unbalanced-load prevention; current the single-phase cars had to
    /// leave goes to the others in a second round.
    func allocate(_ participants: [Participant], available: [[Double]], base: [[Double]]) -> [Int] {
        var amounts = Allocator.allocate(participants, tree: tree, available: available, policy: settings.policy, pauseOrder: settings.pauseOrder,
                                         newEVWaits: settings.fifoNewEVWaits)
        let limits = tree.zones.indices.map { $0 < offset ? nil : settings.zones[$0 - offset].imbalanceLimit }
        guard limits.contains(where: { $0 != nil }) else { return amounts }
        let before = amounts
        ImbalanceGuard.apply(&amounts, participants, tree: tree, base: base, limits: limits)
        guard amounts != before else { return amounts }
        var fixed = participants
        for index in fixed.indices where fixed[index].rotation.gridPhases(vehiclePhases: fixed[index].vehiclePhases).count == 1
            && tree.paths[fixed[index].zone].contains(where: { limits[$0] != nil }) {
            fixed[index].maximum = Double(amounts[index])
        }
        amounts = Allocator.allocate(fixed, tree: tree, available: available, policy: settings.policy, pauseOrder: settings.pauseOrder,
                                     newEVWaits: settings.fifoNewEVWaits)
        ImbalanceGuard.apply(&amounts, fixed, tree: tree, base: base, limits: limits)
        return amounts
    }

    /// With the energy or duration orders, who pauses is decided afresh every `pauseRotation`.
    mutating func rotatePauses(now: Seconds) {
        guard settings.pauseOrder != .highestPlugFirst else { return }
        let last = lastRotation ?? now
        lastRotation = last
        if now - last >= settings.pauseRotation {
            pauseSequence.removeAll()
            lastRotation = now
        }
    }

    /// Vehicles paused for lack of current, kept in the order they paused.
    mutating func updatePauses(_ participants: [Participant], _ amounts: [Int]) {
        guard !pauseSequence.isEmpty || amounts.contains(0) else { return }
        var paused: [Participant] = []
        for (participant, amperes) in zip(participants, amounts)
            where amperes == 0 && !participant.queued && participant.maximum >= participant.minimum {
            paused.append(participant)
        }
        let ids = Set(paused.map(\.id))
        pauseSequence.removeAll { !ids.contains($0) }
        let known = Set(pauseSequence)
        let new = paused.filter { !known.contains($0.id) }
            .sorted { Allocator.pausesBefore($0, $1, order: settings.pauseOrder) }
        pauseSequence += new.map(\.id)
    }

    mutating func cachedDegradedSetpoints(_ inputs: [LoadChargerInput]) -> [Int] {
        // compared in place with the key of the last computation: no allocation on the usual step
        var position = 0, same = true
        func visit(_ value: Double, _ key: inout [Double]?) {
            if key != nil { key!.append(value); return }
            if same, position < degradedKey.count, degradedKey[position] == value { position += 1 } else { same = false }
        }
        func walk(_ key: inout [Double]?) {
            for input in inputs {
                visit(Double(input.zone ?? -1), &key)
                visit(Double(input.rotation.firstGridPhase + (input.chargerPhases == 1 ? 10 : 0)), &key)
                visit(Double(input.chargerPhases), &key)
                visit(input.minimum, &key)
                visit(input.ceiling ?? -1, &key)
                visit(input.disconnectedLimit ?? -1, &key)
            }
            for limit in operatorLimits { for phase in 0..<3 { visit(limit?[phase] ?? -1, &key) } }
            for limit in remoteLimits { for phase in 0..<3 { visit(limit?[phase] ?? -1, &key) } }
        }
        var none: [Double]? = nil
        walk(&none)
        if same, position == degradedKey.count { return degradedCache }
        var key: [Double]? = []
        key!.reserveCapacity(inputs.count * 6 + operatorLimits.count * 6)
        walk(&key)
        degradedKey = key!
        degradedCache = degradedSetpoints(inputs)
        return degradedCache
    }

    /// The zone's offline behaviour on top of the degraded computation: mode 0 stops every charger;
    /// otherwise the lowest of the computed degraded setpoint, the zone's offline current and its fixed
    /// disconnected limit wins, so neither may raise a charger above what the zone allows without the bridge.
    func offlineSetpoints(_ computed: [Int], _ inputs: [LoadChargerInput]) -> [Int] {
        guard settings.zones.contains(where: { $0.offlineMode == .stop || $0.offlineCurrent != nil || $0.disconnectedLimit != nil })
                || inputs.contains(where: { $0.disconnectedLimit != nil }) else {
            return computed
        }
        return zip(computed, inputs).map { value, input in
            let own = input.disconnectedLimit.map { min(Double(value), $0) } ?? Double(value)
            guard let k = input.zone else { return Self.chargeable(own, minimum: input.minimum) }
            let zone = settings.zones[k]
            if zone.offlineMode == .stop { return 0 }
            var amperes = own
            if let current = zone.offlineCurrent { amperes = min(amperes, current) }
            if let limit = zone.disconnectedLimit { amperes = min(amperes, limit) }
            return Self.chargeable(amperes, minimum: input.minimum)
        }
    }

    /// A fallback current the charger can charge at: whole amperes, 0 below its minimum (a charger
    /// refuses a failsafe current between 0 and its minimum, or would round it up).
    static func chargeable(_ amperes: Double, minimum: Double) -> Int {
        let whole = Int(amperes.rounded(.down))
        return Double(whole) < minimum ? 0 : whole
    }

    func degradedSetpoints(_ inputs: [LoadChargerInput]) -> [Int] {
        let dynamic = tree.zones.indices.map { $0 < offset || settings.zones[$0 - offset].dynamic }
        // what the zone leaves the EVs in normal operation: its (operator) limit less its headroom
        var limits = tree.zones.indices.map { z -> [Double] in
            guard z >= offset else { return tree.zones[z].limit }
            let zone = settings.zones[z - offset]
            // without the bridge no voltage is known: a kW limit counts at the worst case
            return zip(ceiling(zone: z - offset, limit: zone.limit), zone.effectiveHeadroom).map { max(0, $0 - $1) }
        }
        // Without the bridge a dynamic zone's EVs fall to 0 but its other loads may take its whole
        // limit, and they flow through its ancestors without a meter: those keep the rest.
        for (k, zone) in settings.zones.enumerated() where zone.dynamic {
            for ancestor in tree.paths[k + offset].dropFirst() where ancestor >= offset {
                if settings.zones[ancestor - offset].dynamic { break }
                for phase in 0..<3 { limits[ancestor][phase] = max(0, limits[ancestor][phase] - zone.limit[phase]) }
            }
        }
        return DegradedMode.setpoints(tree: tree, limits: limits, dynamic: dynamic,
                                      chargers: inputs.map { (($0.zone.map { $0 + offset }) ?? 0, $0.rotation, $0.chargerPhases, $0.minimum, $0.ceiling ?? .infinity) })
    }

    func zoneReports(_ participants: [Participant], _ amounts: [Int], loads: [[Int]], available: [[Double]], slack: [Double],
                     modes: [ZoneReport.Mode], percents: [Double]) -> [ZoneReport] {
        let count = tree.zones.count
        var wanting = [Int](repeating: 0, count: count), paused = [Int](repeating: 0, count: count)
        var limited = [Bool](repeating: false, count: count)
        var smallestMinimum = [Double](repeating: 6, count: count)
        // what is left if every charging vehicle went down to its minimum
        var spare = available.flatMap { $0 }
        for (index, participant) in participants.enumerated() where amounts[index] > 0 {
            for c in loads[index] { spare[c] -= participant.minimum }
        }
        for (participant, amperes) in zip(participants, amounts) where !participant.queued && participant.maximum >= participant.minimum {
            for zone in tree.paths[participant.zone] {
                smallestMinimum[zone] = wanting[zone] == 0 ? participant.minimum : min(smallestMinimum[zone], participant.minimum)
                wanting[zone] += 1
                if amperes == 0 { paused[zone] += 1 }
                if Double(amperes) < participant.maximum { limited[zone] = true }
            }
        }
        return (0..<count).map { zone in
            // room for one more session at its minimum: the tightest phase of this zone and its ancestors
            var room = Double.infinity
            for z in tree.paths[zone] { for phase in 0..<3 { room = min(room, spare[z * 3 + phase]) } }
            let state: ZoneState
            if wanting[zone] > 0, paused[zone] == wanting[zone] { state = .unavailablePower }
            else if paused[zone] > 0 { state = .powerExceeded }
            else if room < smallestMinimum[zone] { state = wanting[zone] == 0 && room <= 0 ? .unavailablePower : .limitedPower }
            else if limited[zone] { state = .powerDecreasing }
            else { state = .availablePower }
            return ZoneReport(id: tree.zones[zone].id, state: state, mode: modes[zone], available: available[zone],
                              allocated: (0..<3).map { available[zone][$0] - slack[zone * 3 + $0] }, percent: percents[zone])
        }
    }
}
