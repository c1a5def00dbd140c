import DataFiles
import EnergyControl
import LinkValues
import RegisterMaps

/// `site.utility.modbus`: the utility's power limit read from a register of a grid operator's
/// gateway or control box, with a heartbeat register that proves it alive (§14a EnWG).
public struct UtilityGatewayInput: Sendable {
    /// The id its readings and poll errors go under.
    public static let id = "utility-gateway"
    public var endpoint: Endpoint
    public var unit: Int
    /// The limit register, read raw (its scale and unit are in `settings`).
    public var limit: Quantity
    /// The heartbeat register (nil: `heartbeat: none`).
    public var heartbeat: Quantity?
    public var period: Seconds = 1
    public var timeoutMilliseconds = 1000
    /// What the control core makes of the values.
    public var settings: UtilityGateway.Settings
}

extension Configuration {
    /// `modbus: { tcp | rtu, unit, function, limit: { address, type, word_order, scale, unit, no_limit },
    /// heartbeat: { address, timeout_s } | none, period_ms, timeout_ms, failsafe_kw }`.
    static func parseUtilityGateway(_ node: YAMLNode) throws(DataFileError) -> UtilityGatewayInput {
        var fields = try node.fields()
        let endpoint = try parseEndpoint(&fields, owner: node, defaults: TransportDefaults())
        let unit = try fields.optional("unit").map { node throws(DataFileError) in try node.integer(in: 0...255) } ?? 1
        let function = try fields.optional("function").map { node throws(DataFileError) -> RegisterFunction in
            let text = try node.string()
            guard let value = RegisterFunction(rawValue: text), !value.isBit else { throw node.error("holding or input, got \"\(text)\"") }
            return value
        } ?? .holding
        var settings = UtilityGateway.Settings()
        let limitNode = try fields.required("limit")
        var limitFields = try limitNode.fields()
        var limit = Quantity(name: "limit", address: try limitFields.required("address").integer(in: 0...65535), function: function, type: .u16)
        if let typeNode = limitFields.optional("type") {
            let text = try typeNode.string()
            guard let type = ValueType(name: text), [.u16, .i16, .u32, .i32, .f32].contains(type) else {
                throw typeNode.error("u16, i16, u32, i32 or f32, got \"\(text)\"")
            }
            limit.type = type
        }
        if let order = limitFields.optional("word_order") {
            guard let value = Endianness(rawValue: try order.string()) else { throw order.error("big or little") }
            limit.wordOrder = value
        }
        var factor = 1000.0
        if let unitNode = limitFields.optional("unit") {
            let symbol = try unitNode.string()
            guard let power = MeasurementUnit.named(symbol), power.dimension == .power else { throw unitNode.error("W or kW, got \"\(symbol)\"") }
            factor = power.factor
        }
        if let scale = limitFields.optional("scale") {
            let number = try scale.number()
            guard number.isFinite, number > 0 else { throw scale.error("a positive number (register × scale = the limit in unit)") }
            factor *= number
        }
        settings.wattsPerCount = factor
        // no default "no limit": the installer names the value
        settings.noLimit = nil
        if let none = limitFields.optional("no_limit") {
            settings.noLimit = (try? none.string()) == "none" ? nil : try none.number()
        }
        // all ones (65535, 4294967295, -1) is no value unless it is the named "no limit": as a
        // number it would be a limit (65.5 kW in W) a failing gateway never meant
        let allOnes: Double = switch limit.type {
        case .u16: 65535
        case .u32: 4_294_967_295
        default: -1
        }
        if settings.noLimit != allOnes { limit.sentinels = [.raw(-1)] }
        try limitFields.finish()
        let heartbeatNode = try fields.required("heartbeat")
        var heartbeat: Quantity?
        if (try? heartbeatNode.string()) == "none" {
            settings.heartbeat = false
        } else {
            var beat = try heartbeatNode.fields()
            heartbeat = Quantity(name: "heartbeat", address: try beat.required("address").integer(in: 0...65535), function: function, type: .u16)
            if let timeout = beat.optional("timeout_s") { settings.timeout = Double(try timeout.integer(in: 2...3600)) }
            try beat.finish()
        }
        var input = UtilityGatewayInput(endpoint: endpoint, unit: unit, limit: limit, heartbeat: heartbeat, settings: settings)
        if let period = fields.optional("period_ms") {
            input.period = Double(try period.integer(in: 100...60_000)) / 1000
            // the heartbeat is seen moving only between two reads
            guard 2 * input.period <= input.settings.timeout else { throw period.error("at most half the heartbeat's timeout_s (\(Int(input.settings.timeout)) s)") }
        }
        if let timeout = fields.optional("timeout_ms") { input.timeoutMilliseconds = try timeout.integer(in: 10...60_000) }
        if let failsafe = fields.optional("failsafe_kw") { input.settings.failsafeW = try failsafe.number(in: 0...10_000) * 1000 }
        try fields.finish()
        return input
    }
}
