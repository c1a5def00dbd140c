/// NotifyEvent (OCPP 2.0.1 N07): what the station's monitors report. Kept (the last few) and
/// logged; the bridge does not act on them. A `Problem` variable of the controlled EVSE (or of
/// the station) is its error, as 1.6's StatusNotification errorCode is: set while true, with the
/// event's techCode and techInfo as the vendor's code and text, cleared by false or `cleared`.
extension StationSession201 {
    mutating func notifyEvent(_ payload: JSONValue, notes: inout [String]) throws(OCPPFailure) {
        let reader = try PayloadReader(payload)
        _ = try reader.date("generatedAt")
        _ = try reader.integer("seqNo")
        _ = try reader.optionalBool("tbc")
        var read: [StationEvent] = []
        var problems: [(component: String, active: Bool, techCode: String, techInfo: String)] = []
        for item in try reader.array("eventData") {
            let data = try PayloadReader(item)
            let id = try data.integer("eventId")
            _ = try data.date("timestamp")
            let trigger = try data.oneOf("trigger", EventTrigger201.self)
            _ = try data.optionalInteger("cause")
            let value = try data.string("actualValue", max: 2500)
            let techCode = try data.optionalString("techCode", max: 50) ?? ""
            let techInfo = try data.optionalString("techInfo", max: 500) ?? ""
            let cleared = try data.optionalBool("cleared") ?? false
            _ = try data.optionalString("transactionId", max: 36)
            _ = try data.optionalInteger("variableMonitoringId")
            _ = try data.oneOf("eventNotificationType", EventNotification201.self)
            let componentReader = try data.object("component")
            let component = try componentReader.string("name", max: 50)
            let evse = try componentReader.optionalObject("evse").map { evse throws(OCPPFailure) in try evse.integer("id") }
            let variable = try data.object("variable").string("name", max: 50)
            read.append(StationEvent(id: id, component: component, variable: variable, value: value, trigger: trigger.rawValue, cleared: cleared))
            if variable == "Problem", evse == nil || evse == policy.connector {
                problems.append((component, value.lowercased() == "true" && !cleared, techCode, techInfo))
            }
        }
        for problem in problems {
            if problem.active {
                record.error = ReportedError(code: "\(problem.component)Problem", number: 1, vendorCode: problem.techCode, info: String(problem.techInfo.prefix(50)))
            } else if record.error.code == "\(problem.component)Problem" {
                record.error = ReportedError()
            }
        }
        for event in read {
            notes.append("event: \(event.component).\(event.variable) = \(event.value.prefix(100)) (\(event.trigger)\(event.cleared ? ", cleared" : ""))")
        }
        events = Array((events + read).suffix(Self.keptEvents))
    }
}
