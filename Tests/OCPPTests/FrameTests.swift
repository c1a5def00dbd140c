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

@Suite("OCPP JSON and time")
struct JSONAndTimeTests {
    @Test func jsonReadsAndWritesWithoutLoss() throws {
        let text = #"{"a":[1,2.5,-3e2,true,false,null],"b":"x\"y\\z\n\u00e9\ud83d\ude00","c":{}}"#
        let value = try #require(JSONValue.parse(text))
        #expect(value["a"] == [1, 2.5, -300, true, false, .null])
        #expect(value["b"] == "x\"y\\z\né😀")
        #expect(JSONValue.parse(value.text) == value)
        #expect(JSONValue.parse(String(repeating: "[", count: 40) + String(repeating: "]", count: 40)) == nil)   // too deep
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"open", "1 2", "NaN", "{\"a\":1}}"] { #expect(JSONValue.parse(bad) == nil, "\(bad)") }
    }

    @Test func timesMatchFoundationsAndRoundTrip() throws {
        let formatter = ISO8601DateFormatter()
        for text in ["2026-12-02T10:15:30Z", "1999-02-28T23:59:59Z", "2024-02-29T00:00:00Z", "2100-03-01T12:00:00Z"] {
            #expect(OCPPTime.parse(text) == formatter.date(from: text), "\(text)")
        }
        #expect(OCPPTime.parse("2026-12-02T10:15:30.250+01:00") == formatter.date(from: "2026-12-02T09:15:30Z")!.addingTimeInterval(0.25))
        let date = Date(timeIntervalSince1970: 1_790_000_000.123)
        #expect(OCPPTime.format(date) == "2026-09-21T14:13:20.123Z")
        #expect(abs(OCPPTime.parse(OCPPTime.format(date))!.timeIntervalSince(date)) < 0.001)
        for bad in ["2026-13-02T10:15:30Z", "2026-12-02 10:15:30Z", "2026-12-02T10:15:30", "yesterday"] { #expect(OCPPTime.parse(bad) == nil) }
    }
}
