import Foundation
import ControlCore
import StorageModel
import EnergyControl
import SimulatedDevices
import SiteConfiguration

/// Runs the real control code against a simulated site, in simulated time, as fast as it can.
public struct SiteSimulator {
    public struct Tick: Sendable {
        public var time: Seconds
        /// Signed grid currents per phase, amperes.
        public var grid: [Double]
        public var setpoints: [Int]
        public var reasons: [LimitReason]
        public var evCurrents: [[Double]]
        public var pvWatts: Double
        public var houseWatts: Double
        /// Per zone: measured current per phase (other loads + EVs) and the load-management state.
        public var zoneCurrents: [[Double]] = []
        public var zoneStates: [ZoneState] = []
        /// The load manager's reports: the site fuse first (when there is one), then every zone.
        public var zoneReports: [ZoneReport] = []
        /// Per charger, the failsafe current pushed into it at this step (nil: none).
        public var failsafePushes: [Int?] = []
        /// What no charger controls, per phase: at the grid connection (house less PV, every zone's
        /// other loads) and below each zone (its other loads and its sub-zones'), amperes.
        public var otherCurrents: [Double] = []
        public var zoneOtherCurrents: [[Double]] = []
    }

    public struct Summary: Sendable {
        public var simulatedSeconds: Seconds = 0
        public var maxGridCurrent = [0.0, 0.0, 0.0]
        /// Seconds with an import current above the fuse limit, per phase (export is the inverter's limit).
        public var secondsAboveFuse = [0.0, 0.0, 0.0]
        /// Longest run of consecutive samples above the fuse, seconds.
        public var longestAboveFuse = 0.0
        public var evEnergyWh = 0.0
        public var evEnergyFromPVWh = 0.0
        public var evEnergyFromGridWh = 0.0
        public var pvEnergyWh = 0.0
        public var phaseSwitches = 0
        public var starts = 0
        public var stops = 0
        /// Setpoints outside {0} ∪ [min, max] (must stay 0).
        public var setpointViolations = 0
        /// Phase switches closer than the cooldown (must stay 0).
        public var cooldownViolations = 0
        /// Per zone: the highest current on any phase, and seconds any phase was above the zone's limit (must stay 0).
        public var zoneMaxCurrent: [String: Double] = [:]
        public var secondsAboveZoneLimit: [String: Double] = [:]
        /// Longest run of consecutive samples above a zone's limit, seconds.
        public var longestAboveZoneLimit: [String: Double] = [:]
        /// Scenario events the control refused, as the service would have (with the reason).
        public var refusedEvents: [String] = []
    }

    public let scenario: SiteScenario
    /// The service's own control core: the scenario plays against the code the service runs.
    private var core: ControlCore
    private var chargers: [SimulatedCharger]
    private var spikes: [SiteScenario.LoadEvent] = []
    private var clouds: [SiteScenario.Window] = []
    /// The sessions the service would have recorded (with `recordSessions`), in start order.
    public var sessions: [SessionRecord] { sessionBook.sessions }
    /// The events the service would have recorded (utility limits, G100 excursions, tariff changes…), in time order.
    public var events: [EventRecord] { sessionBook.events }
    private var sessionBook = SessionBook()
    /// Wall time at t = 0 for what is recorded: the scenario's weekday in the week of Monday 2026-01-05 (UTC).
    public var wallStart: Double { 1_767_571_200 + Double(scenario.startWeekday - 1) * 86_400 + scenario.startOfDay }
    /// Chargers whose energy manager stopped writing alive (`ems: silent`).
    private var emsSilent: [Bool]

    /// Fails only on a zone tree the scenario loader would already have refused.
    /// - Parameter recordSessions: track charging sessions as the service records them (`sessions`).
    public init(scenario: SiteScenario, recordSessions: Bool = false) throws(LoadManager.Problem) {
        self.scenario = scenario
        core = try ControlCore(settings: Self.coreSettings(scenario, recordSessions: recordSessions), now: 0)
        chargers = scenario.chargers.map { SimulatedCharger(limits: $0.limits, evs: $0.evs) }
        emsSilent = Array(repeating: false, count: scenario.chargers.count)
        // an energy manager that asks every charger for its maximum and stays alive (the loops decide)
        for (index, charger) in scenario.chargers.enumerated() {
            _ = core.masterRequest(charger: index, [.current(Double(charger.limits.maxCurrent)), .alive],
                                                   master: "scenario", now: 0, wall: wallStart)
        }
        if let spikes = scenario.house.spikes {
            self.spikes = Self.randomWindows(spikes, duration: scenario.duration).map {
                SiteScenario.LoadEvent(window: $0, watts: [spikes.magnitude / 3, spikes.magnitude / 3, spikes.magnitude / 3])
            }
        }
        if let clouds = scenario.pv.clouds { self.clouds = Self.randomWindows(clouds, duration: scenario.duration) }
    }

    /// What each zone's meter sees per phase: its other loads and the EVs below it (sub-zones included).
    func measureZones(_ t: Seconds, evGrid: [[Double]]) -> [[Double]] {
        guard let zones = scenario.load?.zones else { return [] }
        var currents = zones.indices.map { zoneOthers($0, t) }
        // children add up into their parents
        let parents: [Int?] = zones.map { zone in zone.parent.flatMap { id in zones.firstIndex { $0.id == id } } }
        for (index, charger) in scenario.chargers.enumerated() {
            var zone = charger.placement.zone
            while let z = zone {
                for p in 0..<3 { currents[z][p] += evGrid[index][p] }
                zone = parents[z]
            }
        }
        for zone in zones.indices {
            let others = zoneOthers(zone, t)
            var up = parents[zone]
            while let u = up {
                for p in 0..<3 { currents[u][p] += others[p] }
                up = parents[u]
            }
        }
        return currents
    }

    /// What the meters report (the currents that flow are `grid` and `zones`): a grid meter that
    /// excludes the chargers (`meter: excluding`) and a zone meter that does not see its chargers
    /// (`meter_includes_chargers: false`) leave the EVs below them out [Mennekes ECU manual §7.4.1].
    func metered(grid: [Double], zones: [[Double]], evGrid: [[Double]]) -> (grid: [Double], zones: [[Double]]) {
        var grid = grid, zones = zones
        let settings = scenario.load?.zones ?? []
        let parents: [Int?] = settings.map { zone in zone.parent.flatMap { id in settings.firstIndex { $0.id == id } } }
        for (index, charger) in scenario.chargers.enumerated() {
            if scenario.settings.fuse.meterLocation == .excluding { for p in 0..<3 { grid[p] -= evGrid[index][p] } }
            var zone = charger.placement.zone
            while let z = zone {
                if !settings[z].meterIncludesChargers { for p in 0..<3 { zones[z][p] -= evGrid[index][p] } }
                zone = parents[z]
            }
        }
        return (grid, zones)
    }

    func localTime(_ t: Seconds) -> LocalTime {
        LocalTime(weekday: scenario.startWeekday, secondOfDay: 0).adding(scenario.startOfDay + t)
    }

    static func randomWindows(_ events: SiteScenario.RandomEvents, duration: Seconds) -> [SiteScenario.Window] {
        var random = SeededRandom(seed: events.seed)
        let count = Int((events.perHour * duration / 3600).rounded())
        return (0..<count).map { _ in
            SiteScenario.Window(start: Double.random(in: 0..<max(1, duration), using: &random),
                                duration: events.duration * Double.random(in: 0.5...1.5, using: &random))
        }
    }

    /// House consumption per phase at time t, watts.
    func houseWatts(_ t: Seconds) -> [Double] {
        var watts = scenario.house.baseWatts
        for event in scenario.house.events where event.window.contains(t) { for p in 0..<3 { watts[p] += event.watts[p] } }
        for event in spikes where event.window.contains(t) { for p in 0..<3 { watts[p] += event.watts[p] } }
        return watts
    }

    /// PV production at time t, watts (all phases).
    func pvWatts(_ t: Seconds) -> Double {
        let pv = scenario.pv
        guard pv.peakWatts > 0 else { return 0 }
        let day = (scenario.startOfDay + t).truncatingRemainder(dividingBy: 86_400)
        guard day > pv.sunrise, day < pv.sunset else { return 0 }
        var watts = pv.peakWatts * sin(.pi * (day - pv.sunrise) / (pv.sunset - pv.sunrise))
        if let magnitude = pv.clouds?.magnitude, clouds.contains(where: { $0.contains(t) }) { watts *= 1 - magnitude }
        return watts
    }

    /// Each zone's other loads with those of its sub-zones added in.
    func othersBelow(_ own: [[Double]]) -> [[Double]] {
        guard let zones = scenario.load?.zones, !own.isEmpty else { return [] }
        var result = own
        for (index, zone) in zones.enumerated() {
            var parent = zone.parent
            while let id = parent, let up = zones.firstIndex(where: { $0.id == id }) {
                for p in 0..<3 { result[up][p] += own[index][p] }
                parent = zones[up].parent
            }
        }
        return result
    }

    /// Other loads of zone `index` at time t, amperes per phase.
    func zoneOthers(_ index: Int, _ t: Seconds) -> [Double] {
        guard let loads = scenario.zoneLoads[index] else { return [0, 0, 0] }
        var amperes = loads.base
        for event in loads.events where event.window.contains(t) { for p in 0..<3 { amperes[p] += event.watts[p] } }
        return amperes
    }

    /// Per grid phase, what a charger's currents load after its rotation.
    static func gridCurrents(_ currents: [Double], rotation: PhaseRotation) -> [Double] {
        var grid = [0.0, 0.0, 0.0]
        for (line, phase) in rotation.gridPhases(vehiclePhases: 3).enumerated() { grid[phase] += currents[line] }
        return grid
    }

    static let alive: [MasterCommand] = [.alive]

    /// Plays one event; what the core refuses is counted and described in the summary.
    mutating func play(_ event: SiteScenario.ControlEvent, now: Seconds, into summary: inout Summary) {
        let refusal: String?
        switch event.action {
        case .ems(let charger, let writes):
            let outcome = core.masterRequest(charger: charger, writes, master: "scenario", now: now, wall: wallStart + now)
            refusal = outcome.refused.map { "\(scenario.chargers[charger].id): \($0.description): \(outcome.problem ?? "")" }
        case .emsSilent(let charger, let silent):
            emsSilent[charger] = silent
            refusal = nil
        case .command(let kind, let id, let value):
            do {
                _ = try core.apply(kind, id: id, value)
                refusal = nil
            } catch {
                refusal = "\(id): \(kind.rawValue): \(error)"
            }
        }
        if let refusal { summary.refusedEvents.append(String(format: "%.1f s ", event.at) + refusal) }
    }

    /// The core's settings for a scenario: its chargers (each keeping the failsafe current the core
    /// pushes, after its `failsafe_timeout_s`) and one input per kind of scenario signal.
    static func coreSettings(_ scenario: SiteScenario, recordSessions: Bool) -> CoreSettings {
        let chargers = scenario.chargers.map { charger in
            CoreSettings.Charger(id: charger.id, limits: charger.limits, mode: charger.mode, placement: charger.placement,
                                 failsafeCurrent: charger.limits.highestMinimum, ownFailsafeTimeout: charger.failsafeTimeout)
        }
        let inputs = SiteScenario.InputEvent.Kind.allCases.map { kind in
            // a `disable` window opens the enable contact
            CoreSettings.Input(id: kind.rawValue, role: kind.role, invert: kind == .disable, debounce: 0, remote: false, source: "scenario")
        }
        return CoreSettings(site: scenario.settings, load: scenario.load, chargers: chargers, inputs: inputs, gridMeter: "grid",
                            recordSessions: recordSessions)
    }

    /// Runs the whole scenario. `onTick` sees every meter period (for reports and properties).
    public mutating func run(onTick: (Tick) -> Void = { _ in }) -> Summary {
        var summary = Summary()
        let step = scenario.meterPeriod
        let voltage = scenario.settings.voltage
        // what the simulated meters report (a kW limit is held at these), and what the house's loads draw at
        let volts = scenario.meterVoltages ?? [voltage, voltage, voltage]
        let limit = scenario.settings.fuse.limit(voltages: volts)
        let zoneLimits = (scenario.load?.zones ?? []).map { $0.limit(voltages: volts) }
        var aboveRun = 0.0
        var zoneAboveRun: [String: Double] = [:]
        var lastCharging = [Bool](repeating: false, count: chargers.count)
        var lastPhases = chargers.map(\.status.activePhases)
        var lastSwitchTime = [Seconds](repeating: -.infinity, count: chargers.count)
        var nextEvent = 0
        var inputSignals = [Bool](repeating: false, count: SiteScenario.InputEvent.Kind.allCases.count)
        var lastAlive = [Seconds](repeating: 0, count: chargers.count)
        var lastTariff = -Seconds.infinity
        var t = 0.0
        while t < scenario.duration {
            for index in chargers.indices { chargers[index].advance(to: t) }
            // measure
            let house = houseWatts(t), pv = pvWatts(t)
            let evCurrents = chargers.map(\.status.currents)
            let evGrid = zip(evCurrents, scenario.chargers).map { Self.gridCurrents($0, rotation: $1.placement.rotation) }
            var grid = (0..<3).map { p in (house[p] - pv / 3) / volts[p] }
            for currents in evGrid { for p in 0..<3 { grid[p] += currents[p] } }
            let zoneCurrents = measureZones(t, evGrid: evGrid)
            let ownOthers = zoneCurrents.indices.map { zoneOthers($0, t) }
            var others = (0..<3).map { p in (house[p] - pv / 3) / volts[p] }
            for zone in ownOthers.indices { for p in 0..<3 { grid[p] += ownOthers[zone][p]; others[p] += ownOthers[zone][p] } }
            let meters = metered(grid: grid, zones: zoneCurrents, evGrid: evGrid)
            let sample = scenario.meterOutages.contains(where: { $0.contains(t) }) ? nil
                : GridSample(time: t, currents: meters.grid, power: (0..<3).reduce(0) { $0 + meters.grid[$1] * volts[$1] }, voltages: volts)
            for (zone, currents) in meters.zones.enumerated() where scenario.load?.zones[zone].dynamic == true
                && !(scenario.zoneMeterOutages[zone] ?? []).contains(where: { $0.contains(t) }) {
                core.recordZone(zone, GridSample(time: t, currents: currents, power: (0..<3).reduce(0) { $0 + currents[$1] * volts[$1] }, voltages: volts))
            }
            // what the energy managers and the operator say, as the service would hear it
            while nextEvent < scenario.events.count, scenario.events[nextEvent].at < t + step / 2 {
                play(scenario.events[nextEvent], now: t, into: &summary)
                nextEvent += 1
            }
            // control: the inputs as their signals are now, the energy manager alive, then one step
            for (offset, kind) in SiteScenario.InputEvent.Kind.allCases.enumerated() {
                let active = scenario.inputs.contains { $0.kind == kind && $0.window.contains(t) }
                guard active != inputSignals[offset] else { continue }   // (no debounce: only changes matter)
                inputSignals[offset] = active
                sessionBook.apply(core.inputRead(kind.rawValue, raw: active, now: t, wall: wallStart + t).storage)
            }
            // the off-peak meter reports its tariff once a second, as a TIC or P1 port delivers it
            if let index = scenario.tariffs.last(where: { $0.at <= t })?.index, t - lastTariff >= 1 {
                let effects = core.tariffRead(index, now: t, wall: wallStart + t)
                sessionBook.apply(effects.storage)
                lastTariff = t
            }
            for index in chargers.indices {
                chargers[index].offline = scenario.chargers[index].offline.contains { $0.contains(t) }
                // the energy manager feeds alive once a second, as a real one would (well within its timeout)
                if !emsSilent[index], t - lastAlive[index] >= 1 {
                    _ = core.masterRequest(charger: index, Self.alive, master: "scenario", now: t, wall: wallStart + t)
                    lastAlive[index] = t
                }
            }
            let result = core.step(now: t, wall: wallStart + t, localTime: localTime(t), statuses: chargers.map(\.status), sample: sample)
            sessionBook.apply(result.storage)
            var setpoints: [Int] = [], reasons: [LimitReason] = [], pushes: [Int?] = []
            for (index, effect) in result.chargers.enumerated() {
                let limits = scenario.chargers[index].limits
                setpoints.append(effect.decision.amperes)
                reasons.append(effect.decision.reason)
                pushes.append(effect.pushFailsafe?.current)
                if effect.decision.amperes != 0, !(limits.lowestMinimum...limits.ceiling).contains(effect.decision.amperes) { summary.setpointViolations += 1 }
                guard !chargers[index].offline else { continue }     // nothing reaches it
                if let push = effect.pushFailsafe { chargers[index].setFailsafe(current: push.current, timeout: push.timeout) }
                if let phases = effect.phases { chargers[index].select(phases: phases) }
                chargers[index].apply(setpoint: effect.decision.amperes)
            }
            for (zone, currents) in zoneCurrents.enumerated() {
                let settings = scenario.load!.zones[zone]
                let peak = currents.max() ?? 0
                summary.zoneMaxCurrent[settings.id] = max(summary.zoneMaxCurrent[settings.id] ?? 0, peak)
                let above = (0..<3).contains { currents[$0] > zoneLimits[zone][$0] + 1e-9 }
                if above { summary.secondsAboveZoneLimit[settings.id, default: 0] += step }
                zoneAboveRun[settings.id] = above ? (zoneAboveRun[settings.id] ?? 0) + step : 0
                summary.longestAboveZoneLimit[settings.id] = max(summary.longestAboveZoneLimit[settings.id] ?? 0, zoneAboveRun[settings.id]!)
            }
            // account
            var above = false
            for p in 0..<3 {
                summary.maxGridCurrent[p] = max(summary.maxGridCurrent[p], abs(grid[p]))
                if let limit, grid[p] > limit[p] + 1e-9 {
                    summary.secondsAboveFuse[p] += step
                    above = true
                }
            }
            aboveRun = above ? aboveRun + step : 0
            summary.longestAboveFuse = max(summary.longestAboveFuse, aboveRun)
            let evPower = evCurrents.reduce(0) { $0 + $1.reduce(0, +) } * voltage
            let solarForEV = min(evPower, max(0, pv - house.reduce(0, +)))
            summary.evEnergyWh += evPower * step / 3600
            summary.evEnergyFromPVWh += solarForEV * step / 3600
            summary.pvEnergyWh += pv * step / 3600
            for index in chargers.indices {
                let charging = chargers[index].status.currents.contains { $0 > 0.1 }
                if charging, !lastCharging[index] { summary.starts += 1 }
                if !charging, lastCharging[index] { summary.stops += 1 }
                lastCharging[index] = charging
                let phases = chargers[index].status.activePhases
                if phases != lastPhases[index] {
                    summary.phaseSwitches += 1
                    if t - lastSwitchTime[index] < scenario.settings.phaseSwitching.cooldown { summary.cooldownViolations += 1 }
                    lastSwitchTime[index] = t
                    lastPhases[index] = phases
                }
            }
            let reports = core.zoneReports
            onTick(Tick(time: t, grid: grid, setpoints: setpoints, reasons: reasons, evCurrents: evCurrents,
                        pvWatts: pv, houseWatts: house.reduce(0, +), zoneCurrents: zoneCurrents,
                        zoneStates: reports.suffix(zoneCurrents.count).map(\.state), zoneReports: reports,
                        failsafePushes: pushes, otherCurrents: others, zoneOtherCurrents: othersBelow(ownOthers)))
            t += step
        }
        sessionBook.apply(core.leaveSafe(wall: wallStart + t).storage)   // open sessions get their last checkpoint
        summary.simulatedSeconds = scenario.duration
        summary.evEnergyFromGridWh = summary.evEnergyWh - summary.evEnergyFromPVWh
        return summary
    }
}
