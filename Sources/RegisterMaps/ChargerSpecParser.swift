import Yams

/// The `charger:` section of a charger map (see Registers/README.md), checked against the map's
/// quantities: every reference names a quantity of the map, and those written are `access: rw`.
extension MapLoader {
    static func parseCharger(_ node: YAMLNode, quantities: [Quantity]) throws(DataFileError) -> ChargerSpec {
        var fields = try node.fields()
        func reference(_ node: YAMLNode, writable: Bool) throws(DataFileError) -> String {
            let name = try node.string()
            guard let quantity = quantities.first(where: { $0.name == name }) else {
                throw node.error("no quantity \"\(name)\" in this map")
            }
            if writable, !quantity.writable { throw node.error("\(name) is written by the driver: give it access: rw") }
            return name
        }
        let status = try parseStatus(try fields.required("status"), reference: reference)
        let setpoint = try parseSetpoint(try fields.required("setpoint"), quantities: quantities, reference: reference)
        var phases: ChargerSpec.Phases?
        if let node = fields.optional("phases") {
            var phaseFields = try node.fields()
            phases = ChargerSpec.Phases(quantity: try reference(try phaseFields.required("quantity"), writable: true),
                                        one: try phaseFields.required("one").number(), three: try phaseFields.required("three").number())
            try phaseFields.finish()
        }
        let watchdog = try parseWatchdog(try fields.required("watchdog"), reference: reference)
        var connect: [ChargerSpec.Step] = []
        for item in try fields.required("connect").list() {
            let text = try item.string()
            guard let step = ChargerSpec.Step(rawValue: text) else {
                throw item.error("unknown step \"\(text)\" (expected \(ChargerSpec.Step.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard !connect.contains(step) else { throw item.error("\(text) is listed twice") }
            switch step {
            case .watchdogTimeout where watchdog.timeout == nil: throw item.error("the watchdog declares no timeout register")
            case .safeCurrent where !isRegister(watchdog.safeCurrent): throw item.error("the watchdog declares no safe-current register")
            case .feed where watchdog.kind == .none: throw item.error("a watchdog of kind none is not fed")
            case .phases where phases == nil: throw item.error("the map declares no phase switching")
            default: break
            }
            connect.append(step)
        }
        var spec = ChargerSpec(status: status, setpoint: setpoint, phases: phases, watchdog: watchdog, connect: connect)
        if let node = fields.optional("reassert_s") { spec.reassertSeconds = try node.number(in: 1...3600) }
        try fields.finish()
        try checkSharedRegisters(spec, node: node)
        return spec
    }

    private static func isRegister(_ safe: ChargerSpec.SafeCurrent?) -> Bool {
        if case .register = safe { return true }
        return false
    }

    typealias Reference = (YAMLNode, Bool) throws(DataFileError) -> String

    static func parseStatus(_ node: YAMLNode, reference: Reference) throws(DataFileError) -> ChargerSpec.Status {
        var fields = try node.fields()
        let quantity = try reference(try fields.required("quantity"), false)
        var codes: [Int: ChargerSpec.StatusEntry] = [:]
        let codesNode = try fields.required("codes")
        for (key, entry) in try codesNode.fields().entries {
            guard let code = YAMLNode.parseInteger(key) else { throw entry.error("a status code is an integer") }
            var entryFields = try entry.fields()
            let statusNode = try entryFields.required("status")
            let text = try statusNode.string()
            guard let status = CommonChargerStatus(rawValue: text), status != .unknown else {
                let known = CommonChargerStatus.allCases.filter { $0 != .unknown }.map(\.rawValue).joined(separator: ", ")
                throw statusNode.error("unknown status \"\(text)\" (expected one of \(known))")
            }
            let iecNode = try entryFields.required("iec")
            let iecText = try iecNode.string().uppercased()
            guard let iec = IECState(rawValue: iecText) else { throw iecNode.error("IEC 61851 state must be A, B, C, D, E or F") }
            try entryFields.finish()
            codes[code] = ChargerSpec.StatusEntry(status: status, iec: iec)
        }
        guard codes.values.contains(where: { $0.status == .charging }) else {
            throw codesNode.error("no code maps to \"charging\": the bridge could never tell that a car charges")
        }
        var spec = ChargerSpec.Status(quantity: quantity, codes: codes)
        if let cable = fields.optional("cable") {
            var cableFields = try cable.fields()
            spec.cable = try reference(try cableFields.required("quantity"), false)
            for (key, entry) in try cableFields.required("codes").fields().entries {
                guard let code = YAMLNode.parseInteger(key) else { throw entry.error("a cable code is an integer") }
                let text = try entry.string()
                guard let plug = PlugState(rawValue: text) else {
                    throw entry.error("unknown cable state \"\(text)\" (expected \(PlugState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                spec.cableCodes[code] = plug
            }
            try cableFields.finish()
        }
        try fields.finish()
        return spec
    }

    static func parseSetpoint(_ node: YAMLNode, quantities: [Quantity], reference: Reference) throws(DataFileError) -> ChargerSpec.Setpoint {
        var fields = try node.fields()
        let quantityNode = try fields.required("quantity")
        let name = try reference(quantityNode, true)
        let unitNode = try fields.required("unit")
        let unitText = try unitNode.string()
        guard let unit = ChargerSpec.SetpointUnit(rawValue: unitText) else { throw unitNode.error("setpoint unit must be A, W or percent") }
        let dimension = quantities.first { $0.name == name }!.unit.dimension
        let expected: [UnitDimension] = switch unit {
        case .amperes: [.current]
        case .watts: [.power]
        case .percent: [.ratio, .dimensionless]
        }
        guard expected.contains(dimension) else {
            throw unitNode.error("the setpoint is in \(unitText) but \(name) has a unit of \(dimension.rawValue)")
        }
        let rangeNode = try fields.required("range")
        let bounds = try rangeNode.list().map { node throws(DataFileError) in try node.number() }
        guard bounds.count == 2, bounds[0].isFinite, bounds[1].isFinite, bounds[0] >= 0, bounds[0] <= bounds[1], bounds[1] > 0 else {
            throw rangeNode.error("range must be [min, max] with 0 ≤ min ≤ max, max > 0, in the setpoint's unit")
        }
        var setpoint = ChargerSpec.Setpoint(quantity: name, unit: unit, range: bounds[0]...bounds[1])
        if let node = fields.optional("resolution") {
            setpoint.resolution = try node.number()
            guard setpoint.resolution > 0, setpoint.resolution.isFinite else { throw node.error("resolution must be positive") }
        }
        let maximumNode = fields.optional("maximum_a")
        if let maximumNode { setpoint.maximumAmperes = try maximumNode.number(in: 1...1000) }
        if unit == .percent, maximumNode == nil {
            throw DataFileError(file: node.file, line: node.line, field: "\(node.path).maximum_a", message: "missing required field (the current that is 100 %)")
        }
        if let node = fields.optional("voltage") { setpoint.voltage = try node.number(in: 100...400) }
        if let pauseNode = fields.optional("pause") {
            if case .scalar = pauseNode.node {
                // zero: the charger takes 0 as "pause" besides its min…max range
                guard try pauseNode.string() == "zero" else { throw pauseNode.error("pause is zero, { enable: … } or { minimum_with_flag: … }") }
            } else {
                var pauseFields = try pauseNode.fields()
                if let enable = pauseFields.optional("enable") {
                    var e = try enable.fields()
                    setpoint.pause = .enable(quantity: try reference(try e.required("quantity"), true),
                                             on: try e.required("on").number(), off: try e.required("off").number())
                    try e.finish()
                } else if let flag = pauseFields.optional("minimum_with_flag") {
                    var f = try flag.fields()
                    setpoint.pause = .minimumWithFlag(quantity: try reference(try f.required("quantity"), true),
                                                      paused: try f.required("paused").number(), running: try f.required("running").number())
                    try f.finish()
                } else {
                    throw pauseNode.error("pause is zero, { enable: … } or { minimum_with_flag: … }")
                }
                try pauseFields.finish()
            }
        }
        try fields.finish()
        return setpoint
    }

    static func parseWatchdog(_ node: YAMLNode, reference: Reference) throws(DataFileError) -> ChargerSpec.Watchdog {
        var fields = try node.fields()
        let kindNode = try fields.required("kind")
        guard let kind = ChargerSpec.WatchdogKind(rawValue: try kindNode.string()) else {
            throw kindNode.error("watchdog kind must be alive, validity, setpoint or none")
        }
        var watchdog = ChargerSpec.Watchdog(kind: kind)
        if let alive = fields.optional("alive") {
            var a = try alive.fields()
            watchdog.alive = try reference(try a.required("quantity"), true)
            if let value = a.optional("value") { watchdog.aliveValue = try value.number() }
            try a.finish()
        }
        if let timeout = fields.optional("timeout") { watchdog.timeout = try reference(timeout, true) }
        if let safe = fields.optional("safe_current") {
            var s = try safe.fields()
            if let register = s.optional("quantity") {
                watchdog.safeCurrent = .register(try reference(register, true))
            } else if let fixed = s.optional("fixed_a") {
                watchdog.safeCurrent = .fixed(try fixed.number(in: 0...1000))
            } else {
                throw safe.error("give quantity: (a register the bridge writes) or fixed_a: (the charger's own)")
            }
            try s.finish()
        }
        if let feed = fields.optional("feed") {
            var f = try feed.fields()
            if let period = f.optional("period_s") {
                watchdog.feed = .period(try period.number(in: 0.1...3600))
            } else if let fraction = f.optional("fraction") {
                let value = try fraction.number()
                guard value > 0, value < 1 else { throw fraction.error("a fraction of the timeout is between 0 and 1 (0.5 = half)") }
                watchdog.feed = .fraction(value)
            } else {
                throw feed.error("give period_s: or fraction: (of the timeout)")
            }
            try f.finish()
        }
        switch kind {
        case .none:
            if watchdog.feed != nil || watchdog.alive != nil { throw kindNode.error("a watchdog of kind none has nothing to feed") }
        case .alive, .validity, .setpoint:
            if watchdog.feed == nil {
                throw DataFileError(file: node.file, line: node.line, field: "\(node.path).feed", message: "missing required field: how often the bridge feeds the watchdog (period_s or fraction)")
            }
            if kind == .alive, watchdog.alive == nil {
                throw DataFileError(file: node.file, line: node.line, field: "\(node.path).alive", message: "missing required field (the alive register)")
            }
            if kind == .validity, watchdog.timeout == nil {
                throw DataFileError(file: node.file, line: node.line, field: "\(node.path).timeout", message: "missing required field (the validity-time register the bridge renews)")
            }
            // kind setpoint may take a fraction of the configured failsafe_timeout_s: the validity time set on the charger
            if case .fraction = watchdog.feed, watchdog.timeout == nil, kind != .setpoint {
                throw DataFileError(file: node.file, line: node.line, field: "\(node.path).timeout", message: "a feed given as a fraction needs the timeout register")
            }
        }
        try fields.finish()
        return watchdog
    }

    /// One register may serve one purpose: a setpoint that is also the alive register would be overwritten.
    static func checkSharedRegisters(_ spec: ChargerSpec, node: YAMLNode) throws(DataFileError) {
        var names = [spec.setpoint.quantity]
        if let flag = spec.setpoint.flagQuantity { names.append(flag) }
        if let phases = spec.phases { names.append(phases.quantity) }
        if let alive = spec.watchdog.alive { names.append(alive) }
        if let timeout = spec.watchdog.timeout { names.append(timeout) }
        if case .register(let safe) = spec.watchdog.safeCurrent { names.append(safe) }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw node.error("\(name) is used for two purposes (setpoint, pause, phases and watchdog registers must differ)")
        }
    }
}
