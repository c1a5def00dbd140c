import Foundation
import OCPP
import Testing

@Suite("OCPP-J frames")
struct FrameTests {
    @Test func callsResultsAndErrorsRoundTrip() throws {
        let call = try Frame.parse(#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]"#).get()
        guard case .call(let id, let action, let payload) = call else { Issue.record("not a call"); return }
        #expect(id == "19223201" && action == "BootNotification" && payload["chargePointVendor"] == "VendorX")
        #expect(try Frame.parse(call.text).get() == call)
        #expect(try Frame.parse(#"[3,"a",{"status":"Accepted"}]"#).get() == .result(id: "a", payload: ["status": "Accepted"]))
        #expect(try Frame.parse(#"[4,"a","NotSupported","no",{}]"#).get() == .error(id: "a", code: "NotSupported", description: "no", details: [:]))
    }

    @Test(arguments: [
        ("{not json", nil as String?),
        (#"{"a":1}"#, nil),
        (#"[2]"#, nil),
        (#"[2, 17, "Heartbeat", {}]"#, nil),
        (#"[2, "id1", 5, {}]"#, "id1"),
        (#"[9, "id2", "Heartbeat", {}]"#, "id2"),
        (#"[2, "0123456789012345678901234567890123456789", "Heartbeat", {}]"#, nil),
    ])
    func badFramesAreRefusedWithTheIdWhenReadable(_ text: String, _ id: String?) {
        guard case .failure(let refusal) = Frame.parse(text) else { Issue.record("\(text) parsed"); return }
        #expect(refusal.id == id)
        #expect(refusal.failure.code == .formationViolation)
    }
}
