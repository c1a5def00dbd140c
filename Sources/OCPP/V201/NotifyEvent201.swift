/// NotifyEvent (OCPP 2.0.1 N07): what the station's monitors report. Kept (the last few) and
/// logged; the bridge does not act on them.
extension StationSession201 {
    mutating func notifyEvent(_ payload: JSONValue, notes: inout [String]) throws(OCPPFailure) {
        let reader = try PayloadReader(payload)
        _ = try reader.date("generatedAt")
        _ = try reader.integer("seqNo")
        _ = try reader.optionalBool("tbc")
        var read: [StationEvent] = []
        for item in try reader.array("eventData") {
            let data = try PayloadReader(item)
            let id = try data.integer("eventId")
            _ = try data.date("timestamp")
            let trigger = try data.oneOf("trigger", EventTrigger201.self)
            _ = try data.optionalInteger("cause")
            let value = try data.string("actualValue", max: 2500)
            _ = try data.optionalString("techCode", max: 50)
            _ = try data.optionalString("techInfo", max: 500)
            let cleared = try data.optionalBool("cleared") ?? false
            _ = try data.optionalString("transactionId", max: 36)
            _ = try data.optionalInteger("variableMonitoringId")
            _ = try data.oneOf("eventNotificationType", EventNotification201.self)
            let component = try data.object("component").string("name", max: 50)
            let variable = try data.object("variable").string("name", max: 50)
            read.append(StationEvent(id: id, component: component, variable: variable, value: value, trigger: trigger.rawValue, cleared: cleared))
        }
        for event in read {
            notes.append("event: \(event.component).\(event.variable) = \(event.value.prefix(100)) (\(event.trigger)\(event.cleared ? ", cleared" : ""))")
        }
        events = Array((events + read).suffix(Self.keptEvents))
    }
}
