import Authorization
import DataFiles
import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
import SiteConfiguration
import SimulatedDevices
import LinkValues

/// The `chargers:` entries: limits, failsafe, listener, identity, driver and simulated vehicles.
extension Configuration {
    static func parseCharger(_ node: YAMLNode, mode: ModbusMode, zones: [ZoneSettings], uplinkDefaults: ChargerUplinkSettings? = nil) throws(DataFileError) -> Charger {
        var fields = try node.fields()
        let idNode = try fields.required("id")
        let id = try idNode.string()
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw idNode.error("an id is letters, digits, - and _ (it names MQTT topics and log lines)")
        }
        let name = try fields.optional("name")?.string() ?? id
        let driverNode = fields.optional("driver")
        let driver = try driverNode?.string() ?? "simulated"
        guard ["simulated", "modbus", "vestel", "ocpp"].contains(driver) else {
            throw driverNode!.error("unknown driver \"\(driver)\" (available: modbus — any charger with a map in Registers/chargers, vestel — modbus with the map vestel-evc04, ocpp — an OCPP 1.6J charge point, simulated)")
        }
        var limits = ChargerLimits()
        let minNode = fields.optional("min_current"), maxNode = fields.optional("max_current")
        if let minNode { (limits.minCurrent, limits.minCurrentThreePhase) = try MinimumCurrentParser.parse(minNode) }
        if let maxNode { limits.maxCurrent = try maxNode.integer(in: 6...80) }
        if limits.highestMinimum > limits.maxCurrent {
            throw (minNode ?? maxNode ?? node).error("min_current \(limits.highestMinimum) A is above max_current \(limits.maxCurrent) A")
        }
        if let cable = fields.optional("cable_max_current") {
            limits.cableMaxCurrent = try cable.integer(in: 6...80)
            if limits.cableMaxCurrent! < limits.highestMinimum { throw cable.error("the cable cannot carry the minimum current \(limits.highestMinimum) A") }
        }
        if let phases = fields.optional("phases") {
            limits.phases = try phases.integer()
            guard limits.phases == 1 || limits.phases == 3 else { throw phases.error("must be 1 or 3") }
        }
        if let three = limits.minCurrentThreePhase, three != limits.minCurrent, limits.phases == 1 {
            throw (minNode ?? node).error("three_phase is for a charger wired with three phases (phases: 3)")
        }
        if let switching = fields.optional("phase_switching") {
            limits.canSwitchPhases = try switching.bool()
            if limits.canSwitchPhases, limits.phases != 3 { throw switching.error("phase switching needs a three-phase charger") }
        }
        // a failsafe current meets whatever phases the charger will be on: the higher minimum
        var failsafeCurrent = limits.highestMinimum
        if let node = fields.optional("failsafe_current") {
            failsafeCurrent = try node.integer()
            if failsafeCurrent > limits.ceiling {
                throw node.error("unsafe: failsafe current \(failsafeCurrent) A is above the charger's maximum \(limits.ceiling) A")
            }
            guard failsafeCurrent == 0 || (limits.highestMinimum...limits.ceiling).contains(failsafeCurrent) else {
                throw node.error("must be 0 (stop) or \(limits.highestMinimum)…\(limits.ceiling) A")
            }
        }
        let failsafeTimeout = try fields.optional("failsafe_timeout_s").map { node throws(DataFileError) in try node.integer(in: 1...3600) } ?? 20
        let ratedPower = try fields.optional("rated_power_w").map { node throws(DataFileError) in try node.integer(in: 1000...500_000) }
            ?? limits.maxCurrent * 230 * limits.phases
        var charger = Charger(id: id, name: name, driver: driver, limits: limits, failsafeCurrent: failsafeCurrent,
                              failsafeTimeout: failsafeTimeout, ratedPowerW: ratedPower, identity: Identity(serial: "CB-\(id)"))
        let modbusNode = fields.optional("modbus")
        if let modbusNode {
            var modbus = try modbusNode.fields()
            if let bind = modbus.optional("bind") { charger.bind = try bind.string() }
            if let port = modbus.optional("port") { charger.port = try port.integer(in: 1...65535) }
            if let unit = modbus.optional("unit") { charger.unit = try unit.integer(in: 1...255) }
            if let allow = modbus.optional("allow_write") { charger.allowWrite = try parseAllowWrite(allow) }
            if let readOnly = modbus.optional("read_only") { charger.readOnly = try readOnly.bool() }
            if let face = modbus.optional("face") { charger.face = try face.string() }
            if let faces = modbus.optional("faces") {
                guard mode == .perCharger else { throw faces.error("in gateway mode more faces are more gateways: list them under the site's modbus: faces:") }
                charger.moreFaces = try Configuration.parseFaceBindings(faces)
            }
            try modbus.finish()
        }
        if let identity = fields.optional("identity") { charger.identity = try parseIdentity(identity, default: charger.identity) }
        let ocppNode = fields.optional("ocpp")
        switch (driver, ocppNode) {
        case ("ocpp", let ocpp?): charger.ocpp = try OCPPChargerSettings.parse(ocpp, chargerId: id)
        case ("ocpp", nil): throw (driverNode ?? node).error("driver ocpp needs ocpp: { password: … } (the charge point's basic-auth password; id defaults to the charger's)")
        case (_, let ocpp?): throw ocpp.error("ocpp is for driver: ocpp")
        default: break
        }
        if let uplink = fields.optional("uplink") { charger.uplink = try ChargerUplinkSettings.parse(uplink, defaults: uplinkDefaults, chargerId: id) }
        let southbound = fields.optional("southbound"), simulation = fields.optional("simulation")
        switch (driver, southbound, simulation) {
        case ("modbus", let southbound?, nil), ("vestel", let southbound?, nil):
            charger.southbound = try SouthboundSettings.parse(southbound, defaultMap: driver == "vestel" ? SouthboundSettings.vestelMap : nil)
        case ("vestel", nil, _): throw (driverNode ?? node).error("driver vestel needs southbound: { tcp: HOST:PORT } (the charger's Modbus TCP address)")
        case ("modbus", nil, _): throw (driverNode ?? node).error("driver modbus needs southbound: { map: NAME, tcp: HOST:PORT } (or rtu: { device: … })")
        case ("modbus", _, let simulation?), ("vestel", _, let simulation?), ("ocpp", _, let simulation?):
            throw simulation.error("simulation is for driver: simulated")
        case (_, let southbound?, _): throw southbound.error("southbound is for driver: modbus (or vestel)")
        case ("ocpp", nil, nil): break
        default: if let simulation { charger.simulatedEVs = try parseSimulation(simulation, limits: limits) }
        }
        if let mode = fields.optional("mode") {
            let text = try mode.string()
            guard let value = ChargeMode(rawValue: text) else {
                throw mode.error("unknown mode \"\(text)\" (\(ChargeMode.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            charger.mode = value
        }
        if let node = fields.optional("authorization") { charger.authorization = try AuthorizationSettings.parseOverride(node) }
        if let node = fields.optional("uid_postfix") { charger.uidPostfix = try AuthorizationSettings.parsePostfix(node) }
        let zoneNode = fields.optional("zone")
        charger.placement = try LoadSettingsParser.placement(&fields, zones: zones, phases: limits.phases, minCurrent: limits.highestMinimum, maxCurrent: limits.maxCurrent)
        if let zone = charger.placement.zone, let zoneNode {
            try LoadSettingsParser.checkOfflineCurrents(zone: zones[zone], minCurrent: limits.highestMinimum, maxCurrent: limits.maxCurrent, node: zoneNode)
        }
        try fields.finish()
        return charger
    }

    static func parseIdentity(_ node: YAMLNode, default identity: Identity) throws(DataFileError) -> Identity {
        var fields = try node.fields()
        var identity = identity
        func text(_ key: String, max: Int) throws(DataFileError) -> String? {
            guard let node = fields.optional(key) else { return nil }
            let value = try node.string()
            guard value.utf8.count <= max, value.allSatisfy(\.isASCII) else { throw node.error("ASCII, at most \(max) characters") }
            identity.configured.insert(key)
            return value
        }
        identity.serial = try text("serial", max: 50) ?? identity.serial
        identity.brand = try text("brand", max: 20) ?? identity.brand
        identity.model = try text("model", max: 10) ?? identity.model
        identity.firmware = try text("firmware", max: 100) ?? identity.firmware
        try fields.finish()
        return identity
    }

    static func parseSimulation(_ node: YAMLNode, limits: ChargerLimits) throws(DataFileError) -> [SimulatedEV] {
        var fields = try node.fields()
        var evs: [SimulatedEV] = []
        for item in try fields.optional("evs")?.list() ?? [] {
            var ev = try item.fields()
            var vehicle = SimulatedEV(arrival: try ev.required("arrive_s").number(in: 0...1e7))
            vehicle.departure = try ev.optional("leave_s").map { node throws(DataFileError) in try node.number(in: vehicle.arrival...1e7) }
            if let phases = ev.optional("phases") {
                vehicle.phases = try phases.integer()
                guard vehicle.phases == 1 || vehicle.phases == 3 else { throw phases.error("must be 1 or 3") }
            }
            vehicle.maxCurrent = try ev.optional("max_current").map { node throws(DataFileError) in try node.number(in: 6...80) } ?? 16
            vehicle.capacityWh = try ev.optional("capacity_kwh").map { node throws(DataFileError) in try node.number(in: 1...500) * 1000 } ?? 50_000
            vehicle.soc = try ev.optional("soc").map { node throws(DataFileError) in try node.number(in: 0...1) } ?? 0.3
            vehicle.targetSoC = try ev.optional("target_soc").map { node throws(DataFileError) in try node.number(in: 0...1) } ?? 0.9
            vehicle.idTag = try ev.optional("id_tag")?.string() ?? ""
            try ev.finish()
            evs.append(vehicle)
        }
        try fields.finish()
        return evs
    }

    /// OCPP chargers need the central system, each charge point id is used once, and each security
    /// profile fits the server (resolved here: 1 without TLS, 2 with).
    static func checkOCPP(_ config: inout Configuration, chargers nodes: [YAMLNode], ocppNode: YAMLNode?) throws(DataFileError) {
        var ids = Set<String>()
        for (index, node) in zip(config.chargers.indices, nodes) {
            guard let ocpp = config.chargers[index].ocpp else { continue }
            guard let server = config.ocpp else {
                throw node.error("charger \(config.chargers[index].id) uses driver ocpp: add an ocpp: section (bind, port) for the central system")
            }
            guard ids.insert(ocpp.chargePointId).inserted else { throw node.error("charge point id \(ocpp.chargePointId) is used twice") }
            let profileNode = node.descendant("ocpp", "security_profile") ?? node.descendant("ocpp") ?? node
            config.chargers[index].ocpp?.securityProfile = try checkSecurityProfile(ocpp.securityProfile, server: server, node: profileNode)
        }
        if let ocppNode, ids.isEmpty { throw ocppNode.error("no charger uses driver: ocpp") }
        if let ocppNode, config.ocpp?.clientCA != nil, !config.chargers.contains(where: { $0.ocpp?.securityProfile == 3 }) {
            let clientCA = ocppNode.descendant("tls", "client_ca") ?? ocppNode
            throw clientCA.error("client_ca is set but no charger has security_profile: 3 (remove it, or set the profile of the charge points that present certificates)")
        }
    }

    /// One server, one scheme: without TLS only profile 1 can connect, with TLS only 2 and 3.
    static func checkSecurityProfile(_ profile: Int?, server: OCPPSettings, node: YAMLNode) throws(DataFileError) -> Int {
        let tls = server.certificate != nil
        switch profile ?? (tls ? 2 : 1) {
        case 1 where tls:
            throw node.error("security profile 1 is plain ws://, but the central system has ocpp.tls and speaks only wss://: use 2 (TLS and the password)")
        case let profile where profile >= 2 && !tls:
            throw node.error("security profile \(profile) needs TLS: add ocpp.tls: { certificate, key }\(profile == 3 ? ", client_ca" : "")")
        case 3 where server.clientCA == nil:
            throw node.error("security profile 3 needs ocpp.tls.client_ca: the CA (PEM) that signed the charge points' certificates")
        case let profile:
            return profile
        }
    }
}
