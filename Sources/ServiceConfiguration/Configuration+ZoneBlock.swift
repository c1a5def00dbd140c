import EnergyControl
import LinkValues
import RegisterMaps

/// The Modbus block through which an energy manager sets zone limits with a heartbeat.
extension Configuration {
    public struct ZoneBlock: Sendable, Equatable {
        /// Per-charger mode: its own listener.
        public var port: Int?
        public var bind: String?
        /// Gateway mode: a unit id of the gateway.
        public var unit: Int?
    }

    /// `zones: { port: N, bind: HOST }` (per-charger mode) or `zones: { unit: N }` (gateway mode).
    static func parseZoneBlock(_ node: YAMLNode, mode: ModbusMode) throws(DataFileError) -> ZoneBlock {
        var fields = try node.fields()
        var block = ZoneBlock()
        switch mode {
        case .perCharger:
            block.port = try fields.required("port").integer(in: 1...65535)
            block.bind = try fields.optional("bind")?.string()
        case .gateway:
            block.unit = try fields.required("unit").integer(in: 1...255)
        }
        try fields.finish()
        return block
    }

    /// The zone block needs zones that take a setpoint, and its unit may not be a charger's.
    static func checkZoneBlock(_ config: Configuration, modbusNode: YAMLNode?) throws(DataFileError) {
        guard let block = config.northbound.zoneBlock, let node = modbusNode else { return }
        guard config.load?.zones.contains(where: { $0.setpoint != nil }) == true else {
            throw node.error("modbus.zones serves the zone setpoints, but no zone has setpoint: { failsafe_limit_a, … } under load_management")
        }
        if let unit = block.unit, let charger = config.chargers.first(where: { $0.unit == unit }) {
            throw node.error("modbus.zones unit \(unit) is charger \(charger.id)'s unit")
        }
        if let port = block.port {
            let host = block.bind ?? config.northbound.bind
            if let other = config.listeners.dropLast().first(where: { $0.port == port && ($0.host == host || ["0.0.0.0", "::"].contains($0.host) || ["0.0.0.0", "::"].contains(host)) }) {
                throw node.error("modbus.zones port \(port) on \(host) is used by \(other.what)")
            }
            if !AddressRange.isLoopback(host), config.northbound.allowWrite == nil {
                throw node.error("the zone setpoint block listens on \(host), reachable from the network: set modbus.allow_write")
            }
        }
    }
}
