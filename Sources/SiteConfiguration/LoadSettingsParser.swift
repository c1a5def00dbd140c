import EnergyControl
import NameSuggestion
import RegisterMaps

/// Where a charger sits in the load management: its zone, wiring, plug id and priority.
public struct ChargerPlacement: Sendable, Equatable {
    /// Index into `LoadSettings.zones` (nil: directly under the site fuse).
    public var zone: Int?
    public var rotation: PhaseRotation = .rst
    public var plug: Int?
    public var priority = false
    /// The charger's own fixed limit while disconnected (`disconnected_limit_a`, Bender: 8 A); nil: none.
    public var disconnectedLimit: Double?
    public init() {}
}

/// The `load_management:` section (zones, policies, time of use, off-peak), shared by the
/// service configuration and the scenario files. Format: etc/scenarios/README.md.
public enum LoadSettingsParser {
    /// - Parameter zoneExtra: reads the keys a zone has only in one of the two formats (a meter id,
    ///   simulated loads); called with the zone's index before the zone's keys are finished.
    public static func parse(_ node: YAMLNode, zoneExtra: (inout YAMLFields, Int) throws(DataFileError) -> Void) throws(DataFileError) -> LoadSettings {
        var fields = try node.fields()
        var settings = LoadSettings()
        if let policy = fields.optional("policy") {
            switch try policy.string() {
            case "equal-share": settings.policy = .equalShare
            case "fifo": settings.policy = .fifo
            case "combined": settings.policy = .combined(percent: try fields.optional("fifo_percent")?.number(in: 0...100) ?? 50)
            default: throw policy.error("equal-share, fifo or combined")
            }
        }
        if let value = fields.optional("fifo_new_ev_waits") {
            guard settings.policy == .fifo else { throw value.error("only with policy: fifo") }
            settings.fifoNewEVWaits = try value.bool()
        }
        if let order = fields.optional("pause_order") {
            switch try order.string() {
            case "highest-plug-first": settings.pauseOrder = .highestPlugFirst
            case "most-energy-first": settings.pauseOrder = .mostEnergyFirst
            case "longest-charging-first": settings.pauseOrder = .longestChargingFirst
            default: throw order.error("highest-plug-first, most-energy-first or longest-charging-first")
            }
        }
        if let value = fields.optional("pause_rotation_s") { settings.pauseRotation = try value.number(in: 60...86_400) }
        if let value = fields.optional("zone_meter_stale_s") { settings.meterStaleAfter = try value.number(in: 0.1...600) }
        if let value = fields.optional("state_b") {
            var f = try value.fields()
            if let v = f.optional("enabled") { settings.demand.stateBDetection = try v.bool() }
            if let v = f.optional("waiting_s") { settings.demand.waitingTime = try v.number(in: 1...86_400) }
            if let v = f.optional("retries") { settings.demand.retries = try v.integer(in: 0...100) }
            if let v = f.optional("retry_period_s") { settings.demand.retryPeriod = try v.number(in: 1...86_400) }
            try f.finish()
        }
        if let value = fields.optional("low_consumption") {
            var f = try value.fields()
            if let v = f.optional("enabled") { settings.demand.lowConsumption = try v.bool() }
            if let v = f.optional("margin_a") { settings.demand.margin = try v.number(in: 0.5...16) }
            if let v = f.optional("delay_s") { settings.demand.lowConsumptionDelay = try v.number(in: 1...3600) }
            if let v = f.optional("action") {
                switch try v.string() {
                case "hold": settings.demand.lowConsumptionQueues = false
                case "queue": settings.demand.lowConsumptionQueues = true
                default: throw v.error("hold (at its draw + margin_a) or queue (below threshold_a for delay_s: queued like state B, Circontrol)")
                }
            }
            if let v = f.optional("threshold_a") { settings.demand.lowConsumptionThreshold = try v.number(in: 1...16) }
            try f.finish()
        }
        if let tags = fields.optional("priority_tags") { settings.priorityTags = Set(try tags.list().map { node throws(DataFileError) in try node.string() }) }
        if let hours = fields.optional("priority_hours") { settings.prioritySchedule = try weeklyHours(hours) }
        if let zones = fields.optional("zones") {
            for (index, zoneNode) in try zones.list().enumerated() {
                var f = try zoneNode.fields()
                let id = try f.required("id").string()
                // limit_a, limit_kw (a power, converted at the measured voltages at every step) or both: the stricter wins
                let amperes = try f.optional("limit_a").map { node throws(DataFileError) in try SiteSettingsParser.perPhase(node, in: 0...10_000) }
                let watts = try f.optional("limit_kw").map { node throws(DataFileError) in try node.number(in: 0...100_000) * 1000 }
                guard amperes != nil || watts != nil else { throw zoneNode.error("a zone needs limit_a or limit_kw") }
                var zone = ZoneSettings(id: id, amperes: amperes, watts: watts)
                if let v = f.optional("parent") { zone.parent = try v.string() }
                if let v = f.optional("meter_includes_chargers") { zone.meterIncludesChargers = try v.bool() }
                if let v = f.optional("headroom_a") {
                    zone.headroom = try SiteSettingsParser.perPhase(v, in: 0...1000)
                    if zip(zone.headroom, zone.limit).contains(where: { $0 > $1 }) { throw v.error("above the zone's limit_a") }
                }
                if let v = f.optional("headroom_percent") { zone.headroomPercent = try v.number(in: 0...50) }
                if let v = f.optional("offline_mode") {
                    guard let mode = OfflineMode(rawValue: try v.integer(in: 0...3)) else { throw v.error("0 (stop), 1 (keep last), 2 (active sessions) or 3 (all sessions)") }
                    zone.offlineMode = mode
                }
                if let v = f.optional("offline_current_a") {
                    let current = try v.number(in: 0...80)
                    guard current <= zone.limit.min()! else { throw v.error("above the zone's limit_a (\(zone.limit.min()!) A)") }
                    guard zone.offlineMode == .activeSessions || zone.offlineMode == .allSessions else {
                        throw v.error("only offline_mode 2 or 3 charge at the offline current")
                    }
                    zone.offlineCurrent = current
                }
                if let v = f.optional("disconnected_limit_a") {
                    let limit = try v.number(in: 0...80)
                    guard limit <= zone.limit.min()! else { throw v.error("above the zone's limit_a (\(zone.limit.min()!) A)") }
                    zone.disconnectedLimit = limit
                }
                if let v = f.optional("degraded_a") {
                    zone.degradedLimit = try SiteSettingsParser.perPhase(v, in: 0...10_000)
                    if zip(zone.degradedLimit, zone.limit).contains(where: { $0 > $1 }) { throw v.error("above the zone's limit_a") }
                }
                if let v = f.optional("imbalance_limit_a") { zone.imbalanceLimit = try v.number(in: 0...1000) }
                if let v = f.optional("setpoint") { zone.setpoint = try parseZoneSetpoint(v, zoneLimit: zone.limit) }
                settings.zones.append(zone)
                if let v = f.optional("disabled_periods") {
                    settings.zones[index].disabledPeriods = Set(try v.list().map { node throws(DataFileError) in try node.integer(in: 1...5) - 1 })
                }
                try zoneExtra(&f, index)
                try f.finish()
            }
        }
        if let tou = fields.optional("time_of_use") { settings.timeOfUse = try timeOfUse(tou) }
        let periods = settings.timeOfUse?.periods.count ?? 0
        for zone in settings.zones where zone.disabledPeriods.contains(where: { $0 >= periods }) {
            throw node.error("zone \(zone.id): disabled_periods names a period that time_of_use does not define (\(periods) periods)")
        }
        if let offPeak = fields.optional("off_peak") { settings.offPeak = try self.offPeak(offPeak) }
        if settings.timeOfUse?.periods.contains(where: { !$0.tariffs.isEmpty }) == true, settings.offPeak?.tariffSignal == nil {
            throw (fields.optional("time_of_use") ?? node).error("time_of_use tariffs need the meter that counts them: off_peak: { source: tic }")
        }
        // UK smart charging (Vestel EVC08 §16.1, §17): a random delay at every session start
        if let delay = fields.optional("random_delay") {
            var f = try delay.fields()
            settings.sessionRandomDelayMax = try f.optional("max_s")?.number(in: 0...1800) ?? 600
            try f.finish()
            if settings.offPeak != nil, settings.sessionRandomDelayMax > 0 {
                throw delay.error("with off_peak its random_delay_max_s applies (at every start and when off-peak ends): set that instead")
            }
        }
        try fields.finish()
        do { _ = try LoadManager(settings: settings, siteFuse: false) } catch { throw node.error(error.description) }
        return settings
    }

    /// Without a site fuse above the zones nothing would limit a charger outside them: each names
    /// its zone, and load management needs at least one zone. `placements` pairs each charger's
    /// placement with its YAML node.
    public static func checkPlacements(_ placements: [(ChargerPlacement, YAMLNode)], load: LoadSettings?, siteFuse: Bool,
                                       loadNode: YAMLNode?) throws(DataFileError) {
        guard let load, !siteFuse else { return }
        if load.zones.isEmpty, let loadNode { throw loadNode.error("load management without a site fuse needs zones") }
        if let (_, node) = placements.first(where: { $0.0.zone == nil }) {
            throw node.error("without a site fuse every charger names its zone (zone: …)")
        }
    }

    /// A charger may not be told to fall back to more than it can carry, nor to a current it cannot
    /// charge at: its zone's offline current and disconnected limit must be 0 or within the charger's
    /// minimum … maximum. `node` is the charger's `zone` key.
    public static func checkOfflineCurrents(zone: ZoneSettings, minCurrent: Int, maxCurrent: Int, node: YAMLNode) throws(DataFileError) {
        for (key, value) in [("offline_current_a", zone.offlineCurrent), ("disconnected_limit_a", zone.disconnectedLimit)] {
            guard let value else { continue }
            if value > Double(maxCurrent) {
                throw node.error("zone \(zone.id): \(key) \(value) A is above this charger's max_current (\(maxCurrent) A)")
            }
            if value > 0, value < Double(minCurrent) {
                throw node.error("zone \(zone.id): \(key) \(value) A is below this charger's min_current (\(minCurrent) A): 0 or at least the minimum")
            }
        }
    }

    /// A charger's zone that is not under load_management.zones: the zones it could hang off, and
    /// the nearest of them if the name looks like a typo.
    static func unknownZone(_ id: String, zones: [ZoneSettings]) -> String {
        let leaves = zones.map(\.id).filter { leaf in !zones.contains { $0.parent == leaf } }
        let listed = leaves.isEmpty ? "" : " (leaf zones: \(leaves.joined(separator: ", ")))"
        return "no zone \"\(id)\" under load_management.zones\(listed)" + Suggestion.didYouMean(id, among: leaves)
    }

    /// A charger's `zone`, `rotation` (RST, STR, TRS, L1, L2, L3), `plug` and `priority` keys.
    /// - Parameter maxCurrent: the charger's maximum (a disconnected limit above it is refused).
    public static func placement(_ fields: inout YAMLFields, zones: [ZoneSettings], phases: Int, minCurrent: Int = 6, maxCurrent: Int) throws(DataFileError) -> ChargerPlacement {
        var placement = ChargerPlacement()
        if let node = fields.optional("zone") {
            let id = try node.string()
            guard let index = zones.firstIndex(where: { $0.id == id }) else { throw node.error(unknownZone(id, zones: zones)) }
            guard !zones.contains(where: { $0.parent == id }) else { throw node.error("zone \"\(id)\" has sub-zones: chargers hang off leaf zones") }
            placement.zone = index
        }
        if let node = fields.optional("rotation") {
            switch try node.string().uppercased() {
            case "RST": placement.rotation = .rst
            case "STR": placement.rotation = .str
            case "TRS": placement.rotation = .trs
            case "L1": placement.rotation = .single(0)
            case "L2": placement.rotation = .single(1)
            case "L3": placement.rotation = .single(2)
            default: throw node.error("RST, STR, TRS (three-phase) or L1, L2, L3 (single-phase)")
            }
            if case .single = placement.rotation, phases != 1 { throw node.error("L1/L2/L3 is for single-phase chargers (phases: 1)") }
        } else if phases == 1 {
            placement.rotation = .single(0)
        }
        if let node = fields.optional("plug") { placement.plug = try node.integer(in: 1...100_000) }
        if let node = fields.optional("priority") { placement.priority = try node.bool() }
        if let node = fields.optional("disconnected_limit_a") {
            let limit = try node.number(in: 0...80)
            guard limit <= Double(maxCurrent) else { throw node.error("\(limit) A is above this charger's max_current (\(maxCurrent) A)") }
            guard limit == 0 || limit >= Double(minCurrent) else {
                throw node.error("\(limit) A is below this charger's min_current (\(minCurrent) A): 0 or at least the minimum")
            }
            placement.disconnectedLimit = limit
        }
        return placement
    }

    static func timeOfUse(_ node: YAMLNode) throws(DataFileError) -> TimeOfUse {
        var periods: [TimeOfUse.Period] = []
        for item in try node.list() {
            var f = try item.fields()
            let name = try f.required("period").string()
            let percent = try f.required("percent").number(in: 0...100)
            var slots: [TimeOfUse.Slot] = []
            // on while the off-peak meter counts one of these tariffs (off_peak.source: tic)
            let tariffs = try f.optional("tariffs").map { node throws(DataFileError) in Set(try node.list().map { n throws(DataFileError) in try n.integer(in: 0...99) }) } ?? []
            for slotNode in try (tariffs.isEmpty ? f.required("slots") : f.optional("slots"))?.list() ?? [] {
                var s = try slotNode.fields()
                slots.append(TimeOfUse.Slot(window: try window(try s.required("time")), weekdays: try weekdays(try s.required("days").string(), node: slotNode)))
                try s.finish()
            }
            try f.finish()
            periods.append(TimeOfUse.Period(name: name, percent: percent, slots: slots, tariffs: tariffs))
        }
        do { return try TimeOfUse(periods: periods) } catch { throw node.error(error.description) }
    }

    static func offPeak(_ node: YAMLNode) throws(DataFileError) -> OffPeakSettings {
        var f = try node.fields()
        var settings = OffPeakSettings()
        if let windows = f.optional("windows") {
            settings.windows = try windows.list().map { item throws(DataFileError) in try window(item) }
            guard !settings.windows.isEmpty else { throw windows.error("at least one window (without one, charging never starts)") }
        }
        if let v = f.optional("weekends") { settings.weekends = try v.bool() }
        if let v = f.optional("continue_after") { settings.continueAfterOffPeak = try v.bool() }
        if let v = f.optional("random_delay_max_s") { settings.randomDelayMax = try v.number(in: 0...1800) }
        // the utility's meter decides (Vestel EVC08 §16.2); the meter is resolved against `meters:` later
        if let v = f.optional("source") {
            switch try v.string() {
            case "clock": break
            case "tic", "p1", "meter": settings.tariffSignal = OffPeakSettings.TariffSignal(meter: "")
            default: throw v.error("clock (the windows) or tic (the tariff the utility's meter counts now: a Linky TIC or a P1 meter)")
            }
        }
        if let v = f.optional("meter") {
            guard settings.tariffSignal != nil else { throw v.error("meter is for source: tic") }
            settings.tariffSignal?.meter = try v.string()
        }
        if let v = f.optional("off_peak_tariffs") {
            guard settings.tariffSignal != nil else { throw v.error("off_peak_tariffs is for source: tic") }
            let indexes = try v.list().map { node throws(DataFileError) in try node.integer(in: 0...99) }
            guard !indexes.isEmpty else { throw v.error("at least one tariff index (TIC: HC = 1; Tempo HC blue/white/red = 1, 3, 5)") }
            settings.tariffSignal?.offPeakTariffs = Set(indexes)
        }
        try f.finish()
        return settings
    }

    static func window(_ node: YAMLNode) throws(DataFileError) -> DailyWindow {
        guard let window = DailyWindow(try node.string()) else { throw node.error("HH:MM-HH:MM, start before 24:00 and different from the end") }
        return window
    }

    public static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// "mon-fri", "sat,sun", "mon" → ISO weekdays.
    static func weekdays(_ text: String, node: YAMLNode) throws(DataFileError) -> Set<Int> {
        var days = Set<Int>()
        for part in text.lowercased().split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { dayNames.firstIndex(of: String($0.filter { !$0.isWhitespace })) }
            guard (1...2).contains(ends.count), ends.allSatisfy({ $0 != nil }), let first = ends[0], let last = ends.last! else {
                throw node.error("days like mon-fri or sat,sun")
            }
            if first <= last { days.formUnion((first + 1)...(last + 1)) } else { days.formUnion((first + 1)...7); days.formUnion(1...(last + 1)) }
        }
        return days
    }

    /// ["mon-fri 07-19", "sat 09-12"]: hourly slots [start, end) on those days.
    static func weeklyHours(_ node: YAMLNode) throws(DataFileError) -> WeeklyHours {
        var hours = Set<Int>()
        for item in try node.list() {
            let parts = try item.string().split(separator: " ", omittingEmptySubsequences: true)
            let range = parts.count == 2 ? parts[1].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) ?? -1 } : []
            guard range.count == 2, range[0] >= 0, range[1] <= 24, range[0] < range[1] else { throw item.error("like \"mon-fri 07-19\"") }
            let days = try weekdays(String(parts[0]), node: item)
            for day in days { for hour in range[0]..<range[1] { hours.insert((day - 1) * 24 + hour) } }
        }
        return WeeklyHours(hours: hours)
    }

    /// `setpoint: { min_period_s, heartbeat_s, failsafe_limit_a }`: a remote energy manager may set
    /// the zone's limit [Schneider EcoStruxure EV Charging Expert user guide §3.11.4].
    static func parseZoneSetpoint(_ node: YAMLNode, zoneLimit: [Double]) throws(DataFileError) -> ZoneSetpoint.Settings {
        var fields = try node.fields()
        let failsafeNode = try fields.required("failsafe_limit_a")
        var settings = ZoneSetpoint.Settings(failsafeLimit: try SiteSettingsParser.perPhase(failsafeNode, in: 0...10_000))
        if zip(settings.failsafeLimit, zoneLimit).contains(where: { $0 > $1 }) { throw failsafeNode.error("above the zone's limit_a") }
        if let v = fields.optional("min_period_s") { settings.minPeriod = try v.number(in: 0...3600) }
        if let v = fields.optional("heartbeat_s") { settings.heartbeat = try v.number(in: 1...86_400) }
        try fields.finish()
        return settings
    }
}
