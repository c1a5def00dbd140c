/// Every TCP listener `run` opens, named for messages.
public struct Listener: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var what: String
}

extension Configuration {
    /// The listeners `run` binds, in the order it binds them.
    public var listeners: [Listener] {
        var all: [Listener] = []
        switch northbound.mode {
        case .perCharger:
            for charger in chargers {
                all += faces(of: charger).map { Listener(host: $0.host, port: $0.port, what: "the \(faceName($0.face)) of \(charger.id)") }
            }
        case .gateway:
            all.append(Listener(host: northbound.bind, port: northbound.port, what: "the Modbus gateway"))
            all += northbound.moreGateways.map { Listener(host: $0.bind ?? northbound.bind, port: $0.port, what: "the \(faceName($0.face)) gateway") }
        }
        if let block = northbound.zoneBlock, let port = block.port {
            all.append(Listener(host: block.bind ?? northbound.bind, port: port, what: "the zone setpoint block"))
        }
        if let ocpp { all.append(Listener(host: ocpp.bind, port: ocpp.port, what: "the OCPP central system")) }
        if let semp { all.append(Listener(host: semp.bind, port: semp.port, what: "the SEMP face")) }
        if let http { all.append(Listener(host: http.bind, port: http.port, what: "the HTTP endpoint")) }
        return all
    }
}
