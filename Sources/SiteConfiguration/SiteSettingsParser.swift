import EnergyControl
import RegisterMaps

/// The energy-loop settings of a site (power optimizer, follow-the-sun, phase switching, inputs),
/// shared by the service configuration and the scenario files.
public enum SiteSettingsParser {
    public static func parse(_ node: YAMLNode) throws(DataFileError) -> SiteSettings {
        var fields = try node.fields()
        let settings = try parse(&fields)
        try fields.finish()
        return settings
    }

    /// Reads the loop settings from `fields`; the caller may read other keys first and calls `finish()`.
    /// `utilityGateway` takes `utility.modbus` (the service reads it; a scenario has none).
    public static func parse(_ fields: inout YAMLFields, utilityGateway: ((YAMLNode) throws(DataFileError) -> Void)? = nil) throws(DataFileError) -> SiteSettings {
        var settings = SiteSettings()
        if let fuse = fields.optional("fuse_a") { settings.fuse.setFuse(try SiteSettingsParser.perPhase(fuse, in: 6...1000)) }
        if let headroom = fields.optional("headroom_a") { settings.fuse.headroom = try SiteSettingsParser.perPhase(headroom, in: 0...100) }
        if let percent = fields.optional("headroom_percent") {
            settings.fuse.headroomPercent = try percent.number(in: 0...50)
            guard settings.fuse.limit != nil else { throw percent.error("needs fuse_a (a percentage of the fuse; 0…50 %)") }
        }
        if let meter = fields.optional("meter") {
            guard let location = MeterLocation(rawValue: try meter.string()) else { throw meter.error("including or excluding") }
            settings.fuse.meterLocation = location
        }
        if let fallback = fields.optional("fallback_a") {
            settings.fuse.fallbackCurrent = try fallback.number(in: 0...1000)
            // while the meter is lost the EVs may draw this on top of unknown other loads: never more than the fuse leaves
            guard let limit = settings.fuse.limit else { throw fallback.error("needs fuse_a (it is the EVs' share of the fuse while the meter is lost)") }
            let most = zip(limit, settings.fuse.headroom).map { $0 - $1 }.min()!
            guard settings.fuse.fallbackCurrent <= most else { throw fallback.error("above what the fuse leaves (fuse_a − headroom_a = \(most) A)") }
        }
        if let assumed = fields.optional("fallback_assumed_load_a") {
            // Mennekes: the assumed other loads stand in for the lost meter's reading
            guard let limit = settings.fuse.limit else {
                throw assumed.error("needs fuse_a (while the meter is lost the EVs get fuse_a − headroom − this)")
            }
            guard fields.optional("fallback_a") == nil else {
                throw assumed.error("give either fallback_a (the EVs' current) or fallback_assumed_load_a (the other loads), not both")
            }
            let load = try SiteSettingsParser.perPhase(assumed, in: 0...1000)
            if zip(load, limit).contains(where: { $0 > $1 }) { throw assumed.error("above fuse_a (the other loads alone would trip the fuse)") }
            settings.fuse.assumedLoad = load
        }
        if let stale = fields.optional("meter_stale_s") { settings.fuse.meterStaleAfter = try stale.number(in: 0.1...600) }
        if let value = fields.optional("resume_hysteresis_a") { settings.fuse.resumeHysteresis = try value.number(in: 0...32) }
        if let value = fields.optional("resume_delay_s") { settings.fuse.resumeDelay = try value.number(in: 0...3600) }
        if let value = fields.optional("increase_interval_s") { settings.ramp.increaseInterval = try value.number(in: 0...600) }
        if let value = fields.optional("dead_band_a") { settings.ramp.deadBand = try value.number(in: 0...10) }
        if let value = fields.optional("sun_start_delay_s") { settings.sun.startDelay = try value.number(in: 0...3600) }
        if let value = fields.optional("sun_stop_delay_s") { settings.sun.stopDelay = try value.number(in: 0...3600) }
        if let value = fields.optional("sun_house_base_w") { settings.sun.houseBaseW = try value.number(in: 0...100_000) }
        if let battery = fields.optional("battery") {
            var b = try battery.fields()
            if let v = b.optional("car_may_discharge") { settings.sun.carMayDischargeBattery = try v.bool() }
            if let v = b.optional("car_before_battery") { settings.sun.carBeforeBattery = try v.bool() }
            try b.finish()
        }
        if let value = fields.optional("load_shedding_a") { settings.inputs.loadSheddingCurrent = try value.number(in: 0...80) }
        if let value = fields.optional("downgrade_offset_a") { settings.inputs.downgradeOffset = try SiteSettingsParser.perPhase(value, in: 0...1000) }
        if let value = fields.optional("reductions_percent") {
            settings.inputs.reductionPercent = try value.list().map { node throws(DataFileError) in try node.number(in: 0...100) }
            guard settings.inputs.reductionPercent.count <= 3 else { throw value.error("at most three digital inputs") }
        }
        if let switching = fields.optional("phase_switching") {
            var s = try switching.fields()
            if let v = s.optional("enabled") { settings.phaseSwitching.enabled = try v.bool() }
            if let v = s.optional("to_three_phase_delay_s") { settings.phaseSwitching.toThreePhaseDelay = try v.number(in: 0...3600) }
            if let v = s.optional("to_one_phase_delay_s") { settings.phaseSwitching.toOnePhaseDelay = try v.number(in: 0...3600) }
            if let v = s.optional("pause_s") { settings.phaseSwitching.pauseBeforeSwitch = try v.number(in: 0...600) }
            if let v = s.optional("minimum_hold_s") { settings.phaseSwitching.minimumHold = try v.number(in: 0...86_400) }
            if let v = s.optional("cooldown_s") { settings.phaseSwitching.cooldown = try v.number(in: 0...86_400) }
            try s.finish()
        }
        // a contracted power (Circontrol DLM §5.2.1) beside the fuse: the stricter per phase wins,
        // converted at the grid meter's voltages at every step
        if let power = fields.optional("contracted_power_kw") { settings.fuse.addPowerLimit(watts: try power.number(in: 1...10_000) * 1000) }
        if let utility = fields.optional("utility") { settings.utility = try parseUtility(utility, gateway: utilityGateway) }
        if let g100 = fields.optional("g100") {
            // the import limit is held like a contracted power; both are watched for excursions
            var f = try g100.fields()
            var limits = ConnectionLimits()
            if let v = f.optional("import_limit_kw") { limits.importLimitW = try v.number(in: 1...10_000) * 1000 }
            if let v = f.optional("export_limit_kw") { limits.exportLimitW = try v.number(in: 0...10_000) * 1000 }
            if let v = f.optional("excursion_s") { limits.excursionAfter = try v.number(in: 1...600) }
            try f.finish()
            guard limits.importLimitW != nil || limits.exportLimitW != nil else { throw g100.error("g100 needs import_limit_kw, export_limit_kw or both") }
            if let watts = limits.importLimitW { settings.fuse.addPowerLimit(watts: watts) }
            settings.connection = limits
        }
        return settings
    }

    /// `utility: { dimmed_kw, controllable_devices, simultaneity_factor, modbus }` — §14a EnWG dimming.
    static func parseUtility(_ node: YAMLNode, gateway: ((YAMLNode) throws(DataFileError) -> Void)?) throws(DataFileError) -> UtilitySettings {
        var f = try node.fields()
        if let modbus = f.optional("modbus") {
            guard let gateway else { throw modbus.error("a gateway's register is read by the service, not in a scenario") }
            try gateway(modbus)
        }
        var utility = UtilitySettings()
        if let v = f.optional("dimmed_kw") { utility.dimmedPowerW = try v.number(in: 0...10_000) * 1000 }
        if let v = f.optional("controllable_devices") { utility.controllableDevices = try v.integer(in: 1...1000) }
        if let v = f.optional("simultaneity_factor") { utility.simultaneityFactor = try v.number(in: 0...1) }
        try f.finish()
        return utility
    }


    /// One value for all three phases, or a list of three. `split` divides a single value by 3 (a total).
    public static func perPhase(_ node: YAMLNode, in range: ClosedRange<Double>, split: Bool = false) throws(DataFileError) -> [Double] {
        let values = try node.list().map { item throws(DataFileError) in try item.number(in: range) }
        if values.count == 1 { return [Double](repeating: split ? values[0] / 3 : values[0], count: 3) }
        guard values.count == 3 else { throw node.error("one value or three (L1, L2, L3)") }
        return values
    }
}
