import DataFiles
import ControlCore
import EnergyControl
import SimulatedDevices
import SiteConfiguration
import Foundation
import RegisterMaps

/// Reads a scenario file (format: etc/scenarios/README.md). Errors name the file, line and field.
public enum ScenarioLoader {
    public static func load(file path: String) throws(DataFileError) -> SiteScenario {
        try parse(try YAMLNode.readText(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(DataFileError) -> SiteScenario {
        var top = try YAMLNode.parse(text, file: file).fields()
        var scenario = SiteScenario()
        if let name = top.optional("name") { scenario.name = try name.string() }
        if let start = top.optional("start") { scenario.startOfDay = try time(start) }
        scenario.duration = try top.required("duration_s").number(in: 1...(366 * 86_400))
        if let period = top.optional("meter_period_s") { scenario.meterPeriod = try period.number(in: 0.05...60) }
        if let site = top.optional("site") { try parseSite(site, into: &scenario) }
        if let house = top.optional("house") { scenario.house = try parseHouse(house, start: scenario.startOfDay) }
        if let pv = top.optional("pv") { scenario.pv = try parsePV(pv) }
        if let day = top.optional("start_weekday") {
            guard let index = LoadSettingsParser.dayNames.firstIndex(of: try day.string().lowercased()) else { throw day.error("mon … sun") }
            scenario.startWeekday = index + 1
        }
        let loadNode = top.optional("load_management")
        if let loadNode { try parseLoad(loadNode, into: &scenario) }
        let chargersNode = try top.required("chargers")
        for node in try chargersNode.list() { scenario.chargers.append(try parseCharger(node, start: scenario.startOfDay, zones: scenario.load?.zones ?? [])) }
        try LoadSettingsParser.checkPlacements(Array(zip(scenario.chargers.map(\.placement), try chargersNode.list())), load: scenario.load,
                                               siteFuse: scenario.settings.fuse.limit != nil, loadNode: loadNode)
        var plugs = Set<Int>()
        for (index, charger) in scenario.chargers.enumerated() {
            guard plugs.insert(charger.placement.plug ?? index + 1).inserted else { throw chargersNode.error("plug id \(charger.placement.plug ?? index + 1) is used twice") }
        }
        for node in try top.optional("operator_limits")?.list() ?? [] {
            var fields = try node.fields()
            let zoneNode = try fields.required("zone")
            let zone = try zoneNode.string()
            guard let settings = scenario.load?.zones.first(where: { $0.id == zone }) else { throw zoneNode.error("no zone \"\(zone)\"") }
            let limitNode = try fields.required("limit_a")
            var limit: [Double]?
            if (try? limitNode.string()) != "none" {
                limit = try SiteSettingsParser.perPhase(limitNode, in: 0...10_000)
                if zip(limit!, settings.limit).contains(where: { $0 > $1 }) { throw limitNode.error("above the zone's limit_a (the operator limit never is)") }
            }
            scenario.events.append(SiteScenario.ControlEvent(at: try time(try fields.required("at")) - scenario.startOfDay,
                                                             action: .command(.operatorLimit, id: zone, .zoneLimit(limit))))
            try fields.finish()
        }
        for node in try top.optional("inputs")?.list() ?? [] {
            var fields = try node.fields()
            let kindNode = try fields.required("input")
            guard let kind = SiteScenario.InputEvent.Kind(rawValue: try kindNode.string()) else {
                throw kindNode.error("unknown input (\(SiteScenario.InputEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            scenario.inputs.append(SiteScenario.InputEvent(kind: kind, window: try window(&fields, start: scenario.startOfDay)))
            try fields.finish()
        }
        scenario.meterOutages = try windows(top.optional("meter_outages"), start: scenario.startOfDay)
        try parseTariffs(top.optional("tariffs"), loadNode: loadNode, into: &scenario)
        scenario.events = (scenario.events + (try ScenarioEventParser.parse(top.optional("events"), scenario: scenario))).sorted { $0.at < $1.at }
        try top.finish()
        return scenario
    }

    /// `site:` as the service reads it, `meter_average_s`: the grid meter's `average_s` (a meter
    /// of the service configuration) for the scenario's simulated grid meter, and `meter_voltages_v`:
    /// the simulated grid's voltages (one value or three), which its meters report.
    static func parseSite(_ node: YAMLNode, into scenario: inout SiteScenario) throws(DataFileError) {
        var fields = try node.fields()
        let average = fields.optional("meter_average_s")
        if let volts = fields.optional("meter_voltages_v") {
            scenario.meterVoltages = try SiteSettingsParser.perPhase(volts, in: PowerLimit.plausibleVoltages)
        }
        var settings = try SiteSettingsParser.parse(&fields)
        try fields.finish()
        if let average {
            settings.fuse.meterAverage = try average.number(in: 0...300)
            guard settings.fuse.limit != nil else { throw average.error("needs fuse_a, contracted_power_kw or g100 (it slows the fuse loop's increases)") }
        }
        scenario.settings = settings
    }

    /// `tariffs: [ { at, index } ]`: what the off-peak meter reports from `at` on (`index: none`: nothing,
    /// the meter is silent). Only with `off_peak.source: tic`, which in turn needs them.
    static func parseTariffs(_ node: YAMLNode?, loadNode: YAMLNode?, into scenario: inout SiteScenario) throws(DataFileError) {
        let signal = scenario.load?.offPeak?.tariffSignal
        guard let node else {
            if signal != nil, let loadNode { throw loadNode.error("off_peak.source: tic needs tariffs: [ { at, index } ] (what the meter reports)") }
            return
        }
        guard signal != nil else { throw node.error("tariffs are for load_management.off_peak.source: tic") }
        for item in try node.list() {
            var fields = try item.fields()
            let at = try time(try fields.required("at")) - scenario.startOfDay
            let indexNode = try fields.required("index")
            let index = (try? indexNode.string()) == "none" ? nil : Double(try indexNode.integer(in: 0...99))
            scenario.tariffs.append(SiteScenario.TariffEvent(at: at, index: index))
            try fields.finish()
        }
        scenario.tariffs.sort { $0.at < $1.at }
        // the service names the meter in `meters:`; the scenario's is simulated
        if signal?.meter.isEmpty == true { scenario.load?.offPeak?.tariffSignal?.meter = "tic" }
    }

    /// `load_management:` with the scenario's zone keys: `dynamic`, `other_loads_a`, `other_load_events`, `meter_outages`.
    static func parseLoad(_ node: YAMLNode, into scenario: inout SiteScenario) throws(DataFileError) {
        let start = scenario.startOfDay
        var loads: [Int: SiteScenario.ZoneLoads] = [:], outages: [Int: [SiteScenario.Window]] = [:], dynamic = Set<Int>()
        var settings = try LoadSettingsParser.parse(node) { (fields: inout YAMLFields, index: Int) throws(DataFileError) in
            if let v = fields.optional("dynamic"), try v.bool() { dynamic.insert(index) }
            var zoneLoads = SiteScenario.ZoneLoads()
            if let v = fields.optional("other_loads_a") { zoneLoads.base = try SiteSettingsParser.perPhase(v, in: -10_000...10_000) }
            for item in try fields.optional("other_load_events")?.list() ?? [] {
                var event = try item.fields()
                let amperes = try SiteSettingsParser.perPhase(try event.required("a"), in: -10_000...10_000)
                zoneLoads.events.append(SiteScenario.LoadEvent(window: try window(&event, start: start), watts: amperes))
                try event.finish()
            }
            loads[index] = zoneLoads
            outages[index] = try windows(fields.optional("meter_outages"), start: start)
        }
        for index in dynamic { settings.zones[index].dynamic = true }
        scenario.load = settings
        scenario.zoneLoads = loads
        scenario.zoneMeterOutages = outages
    }

    static func parseHouse(_ node: YAMLNode, start: Seconds) throws(DataFileError) -> SiteScenario.House {
        var fields = try node.fields()
        var house = SiteScenario.House()
        if let base = fields.optional("base_w") { house.baseWatts = try SiteSettingsParser.perPhase(base, in: 0...200_000) }
        for item in try fields.optional("events")?.list() ?? [] {
            var event = try item.fields()
            let watts = try SiteSettingsParser.perPhase(try event.required("w"), in: -200_000...200_000, split: true)
            house.events.append(SiteScenario.LoadEvent(window: try window(&event, start: start), watts: watts))
            try event.finish()
        }
        if let spikes = fields.optional("random_spikes") { house.spikes = try randomEvents(spikes, magnitudeKey: "w", range: 0...200_000) }
        try fields.finish()
        return house
    }

    static func parsePV(_ node: YAMLNode) throws(DataFileError) -> SiteScenario.PV {
        var fields = try node.fields()
        var pv = SiteScenario.PV()
        pv.peakWatts = try fields.required("peak_w").number(in: 0...1_000_000)
        if let sunrise = fields.optional("sunrise") { pv.sunrise = try time(sunrise) }
        if let sunset = fields.optional("sunset") { pv.sunset = try time(sunset) }
        if pv.sunset <= pv.sunrise { throw node.error("sunset must be after sunrise") }
        if let clouds = fields.optional("clouds") { pv.clouds = try randomEvents(clouds, magnitudeKey: "depth", range: 0...1) }
        try fields.finish()
        return pv
    }

    static func parseCharger(_ node: YAMLNode, start: Seconds, zones: [ZoneSettings]) throws(DataFileError) -> SiteScenario.Charger {
        var fields = try node.fields()
        let id = try fields.required("id").string()
        var limits = ChargerLimits()
        if let v = fields.optional("min_current") { (limits.minCurrent, limits.minCurrentThreePhase) = try MinimumCurrentParser.parse(v) }
        if let v = fields.optional("max_current") { limits.maxCurrent = Int(try v.number(in: 6...80)) }
        if limits.highestMinimum > limits.maxCurrent { throw node.error("min_current is above max_current") }
        if let v = fields.optional("phases") {
            limits.phases = try v.integer()
            guard limits.phases == 1 || limits.phases == 3 else { throw v.error("must be 1 or 3") }
        }
        if let v = fields.optional("phase_switching") { limits.canSwitchPhases = try v.bool() && limits.phases == 3 }
        var mode = ChargeMode.maxHybrid
        if let v = fields.optional("mode") {
            let text = try v.string()
            guard let value = ChargeMode(rawValue: text) else {
                throw v.error("unknown mode \"\(text)\" (\(ChargeMode.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            mode = value
        }
        var evs: [SimulatedEV] = []
        for item in try fields.optional("evs")?.list() ?? [] {
            var ev = try item.fields()
            var vehicle = SimulatedEV(arrival: try time(try ev.required("arrive")) - start)
            if let leave = ev.optional("leave") { vehicle.departure = try time(leave) - start }
            if let v = ev.optional("phases") { vehicle.phases = try v.integer() == 1 ? 1 : 3 }
            if let v = ev.optional("max_current") { vehicle.maxCurrent = try v.number(in: 6...80) }
            if let v = ev.optional("capacity_kwh") { vehicle.capacityWh = try v.number(in: 1...500) * 1000 }
            if let v = ev.optional("soc") { vehicle.soc = try v.number(in: 0...1) }
            if let v = ev.optional("target_soc") { vehicle.targetSoC = try v.number(in: 0...1) }
            if let v = ev.optional("id_tag") { vehicle.idTag = try v.string() }
            try ev.finish()
            evs.append(vehicle)
        }
        var charger = SiteScenario.Charger(id: id, limits: limits, mode: mode, evs: evs)
        let zoneNode = fields.optional("zone")
        charger.placement = try LoadSettingsParser.placement(&fields, zones: zones, phases: limits.phases, minCurrent: limits.highestMinimum, maxCurrent: limits.maxCurrent)
        if let zone = charger.placement.zone, let zoneNode {
            try LoadSettingsParser.checkOfflineCurrents(zone: zones[zone], minCurrent: limits.highestMinimum, maxCurrent: limits.maxCurrent, node: zoneNode)
        }
        charger.offline = try windows(fields.optional("offline"), start: start)
        if let v = fields.optional("failsafe_timeout_s") { charger.failsafeTimeout = try v.number(in: 1...3600) }
        if let v = fields.optional("failsafe"), !(try v.bool()) { charger.failsafeTimeout = nil }
        try fields.finish()
        return charger
    }

    static func randomEvents(_ node: YAMLNode, magnitudeKey: String, range: ClosedRange<Double>) throws(DataFileError) -> SiteScenario.RandomEvents {
        var fields = try node.fields()
        let events = SiteScenario.RandomEvents(perHour: try fields.required("per_hour").number(in: 0...3600),
                                               duration: try fields.required("duration_s").number(in: 1...86_400),
                                               magnitude: try fields.required(magnitudeKey).number(in: range),
                                               seed: UInt64(max(0, try fields.optional("seed")?.integer() ?? 1)))
        try fields.finish()
        return events
    }

    /// A list of `{ at, for_s }` windows (none when the key is absent).
    static func windows(_ node: YAMLNode?, start: Seconds) throws(DataFileError) -> [SiteScenario.Window] {
        try (node?.list() ?? []).map { item throws(DataFileError) in
            var fields = try item.fields()
            let window = try window(&fields, start: start)
            try fields.finish()
            return window
        }
    }

    static func window(_ fields: inout YAMLFields, start: Seconds) throws(DataFileError) -> SiteScenario.Window {
        SiteScenario.Window(start: try time(try fields.required("at")) - start, duration: try fields.required("for_s").number(in: 0...(366 * 86_400)))
    }

    /// "HH:MM" or "HH:MM:SS" as seconds of the day, or a plain number of seconds.
    static func time(_ node: YAMLNode) throws(DataFileError) -> Seconds {
        let text = try node.string()
        if let seconds = Double(text) { return seconds }
        let parts = text.split(separator: ":").map { Double($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else { throw node.error("a time is HH:MM, HH:MM:SS or seconds") }
        return parts[0]! * 3600 + parts[1]! * 60 + (parts.count == 3 ? parts[2]! : 0)
    }


}
