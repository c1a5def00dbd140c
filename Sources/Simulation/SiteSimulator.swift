import Foundation
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
    }

    public let scenario: SiteScenario
    private var controller: SiteController
    private var chargers: [SimulatedCharger]
    private var spikes: [SiteScenario.LoadEvent] = []
    private var clouds: [SiteScenario.Window] = []

    /// Fails only on a zone tree the scenario loader would already have refused.
    public init(scenario: SiteScenario) throws(LoadManager.Problem) {
        self.scenario = scenario
        var load: LoadManager?
        if let settings = scenario.load { load = try LoadManager(settings: settings, siteFuse: scenario.settings.fuse.limit != nil) }
        controller = SiteController(settings: scenario.settings, load: load)
        chargers = scenario.chargers.map { SimulatedCharger(limits: $0.limits, evs: $0.evs) }
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
        for event in scenario.house.events + spikes where event.window.contains(t) {
            for p in 0..<3 { watts[p] += event.watts[p] }
        }
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

    func inputs(at t: Seconds) -> SiteInputs {
        var inputs = SiteInputs()
        for event in scenario.inputs where event.window.contains(t) {
            switch event.kind {
            case .loadShedding: inputs.loadShedding = true
            case .disable: inputs.enabled = false
            case .downgrade: inputs.downgrade = true
            case .reduction1: inputs.reductions.insert(0)
            case .reduction2: inputs.reductions.insert(1)
            case .reduction3: inputs.reductions.insert(2)
            }
        }
        return inputs
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

    /// Runs the whole scenario. `onTick` sees every meter period (for reports and properties).
    public mutating func run(onTick: (Tick) -> Void = { _ in }) -> Summary {
        var summary = Summary()
        let step = scenario.meterPeriod
        let voltage = scenario.settings.voltage
        let limit = scenario.settings.fuse.limit
        var aboveRun = 0.0
        var zoneAboveRun: [String: Double] = [:]
        var lastCharging = [Bool](repeating: false, count: chargers.count)
        var lastPhases = chargers.map(\.status.activePhases)
        var lastSwitchTime = [Seconds](repeating: -.infinity, count: chargers.count)
        var t = 0.0
        while t < scenario.duration {
            for index in chargers.indices { chargers[index].advance(to: t) }
            // measure
            let house = houseWatts(t), pv = pvWatts(t)
            let evCurrents = chargers.map(\.status.currents)
            let evGrid = zip(evCurrents, scenario.chargers).map { Self.gridCurrents($0, rotation: $1.placement.rotation) }
            var grid = (0..<3).map { p in (house[p] - pv / 3) / voltage }
            for currents in evGrid { for p in 0..<3 { grid[p] += currents[p] } }
            let zoneCurrents = measureZones(t, evGrid: evGrid)
            for zone in zoneCurrents.indices { for p in 0..<3 { grid[p] += zoneOthers(zone, t)[p] } }
            let meters = metered(grid: grid, zones: zoneCurrents, evGrid: evGrid)
            if !scenario.meterOutages.contains(where: { $0.contains(t) }) {
                controller.record(GridSample(time: t, currents: meters.grid, power: meters.grid.reduce(0, +) * voltage))
            }
            for (zone, currents) in meters.zones.enumerated() where scenario.load?.zones[zone].dynamic == true
                && !(scenario.zoneMeterOutages[zone] ?? []).contains(where: { $0.contains(t) }) {
                controller.load?.record(zone: zone, GridSample(time: t, currents: currents, power: currents.reduce(0, +) * voltage))
            }
            for event in scenario.operatorLimits where event.at >= t - step / 2 && event.at < t + step / 2 {
                try? controller.load?.setOperatorLimit(zone: event.zone, event.limit)
            }
            // control
            let inputs = inputs(at: t)
            for (index, config) in scenario.chargers.enumerated() {
                chargers[index].offline = config.offline.contains { $0.contains(t) }
            }
            let controls = zip(scenario.chargers, chargers).map { config, charger in
                ChargerControlInput(id: config.id, limits: config.limits, status: charger.status, mode: config.mode, plug: config.placement.plug,
                                    zone: config.placement.zone, rotation: config.placement.rotation, priority: config.placement.priority,
                                    failsafeTimeout: config.failsafeTimeout, lastSetpoint: charger.setpoint)
            }
            let outputs = controller.step(now: t, chargers: controls, inputs: inputs, time: localTime(t))
            var setpoints: [Int] = [], reasons: [LimitReason] = []
            for (index, output) in outputs.enumerated() {
                let limits = scenario.chargers[index].limits
                let decision = SetpointPolicy.decide(request: limits.maxCurrent, failsafe: false, limits: limits,
                                                     caps: output.cap.map { [$0] } ?? [])
                setpoints.append(decision.amperes)
                reasons.append(decision.reason)
                if decision.amperes != 0, !(limits.minCurrent...limits.ceiling).contains(decision.amperes) { summary.setpointViolations += 1 }
                guard !chargers[index].offline else { continue }     // nothing reaches it
                if let degraded = output.degraded, let timeout = scenario.chargers[index].failsafeTimeout,
                   degraded != chargers[index].failsafeCurrent {
                    chargers[index].setFailsafe(current: degraded, timeout: timeout)
                }
                if let phases = output.phases { chargers[index].select(phases: phases) }
                chargers[index].apply(setpoint: decision.amperes)
            }
            for (zone, currents) in zoneCurrents.enumerated() {
                let settings = scenario.load!.zones[zone]
                let peak = currents.max() ?? 0
                summary.zoneMaxCurrent[settings.id] = max(summary.zoneMaxCurrent[settings.id] ?? 0, peak)
                let above = (0..<3).contains { currents[$0] > settings.limit[$0] + 1e-9 }
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
            let reports = controller.load?.reports ?? []
            onTick(Tick(time: t, grid: grid, setpoints: setpoints, reasons: reasons, evCurrents: evCurrents,
                        pvWatts: pv, houseWatts: house.reduce(0, +), zoneCurrents: zoneCurrents,
                        zoneStates: reports.suffix(zoneCurrents.count).map(\.state)))
            t += step
        }
        summary.simulatedSeconds = scenario.duration
        summary.evEnergyFromGridWh = summary.evEnergyWh - summary.evEnergyFromPVWh
        return summary
    }
}
