import Foundation
import Testing
@testable import SmartMeters

/// MQTT meter values: JSON paths, plain decimals only, plausibility, age, and junk that replaces
/// (never keeps) the last good value.
struct MQTTMeterValuesTests {
    static func meter(maxAge: Double = 10) -> MQTTMeterValues {
        MQTTMeterValues(sources: [
            .init(quantity: "current.l1", topic: "em", path: MQTTMeterValues.PathStep.parse("em:0.a_current"), factor: 1, range: -200...200),
            .init(quantity: "current.l2", topic: "sml", path: MQTTMeterValues.PathStep.parse("SML.Curr[1]"), factor: 0.001, range: -200...200),
            .init(quantity: "power.total", topic: "ha/power", path: nil, factor: 1000, range: -150_000...150_000),
        ], maxAge: maxAge)
    }

    @Test func pathsParseOrAreRefused() {
        #expect(MQTTMeterValues.PathStep.parse("SML.Curr[1]") == [.key("SML"), .key("Curr"), .index(1)])
        #expect(MQTTMeterValues.PathStep.parse("em:0.a_current") == [.key("em:0"), .key("a_current")])
        #expect(MQTTMeterValues.PathStep.parse("[0].x") == [.index(0), .key("x")])
        for bad in ["", "a..b", "a[", "a[x]", "a[-1]", "a]b", "."] { #expect(MQTTMeterValues.PathStep.parse(bad) == nil, "\(bad)") }
    }

    @Test func valuesFromJSONAndPlainTopicsInSIUnits() {
        var meter = Self.meter()
        let taken = [meter.receive(topic: "em", payload: Array(#"{"em:0": {"a_current": 12.5}}"#.utf8), now: 0),
                     meter.receive(topic: "sml", payload: Array(#"{"Time": "x", "SML": {"Curr": [100, 7250]}}"#.utf8), now: 0),
                     meter.receive(topic: "ha/power", payload: Array("2.5".utf8), now: 0),
                     meter.receive(topic: "other", payload: Array("1".utf8), now: 0)]
        #expect(taken == [true, true, true, false])
        let values = meter.values(now: 1)
        #expect(values["current.l1"] == .some(12.5) && values["current.l2"] == .some(7.25) && values["power.total"] == .some(2500))
        // older than max_age: missing
        #expect(meter.values(now: 11)["current.l1"] == .some(nil))
    }

    @Test func junkIsMissingAndSaysWhy() {
        for junk in ["0x10", "1e1", "nan", "inf", "+5", " 5", "5.", ".5", "--5", "", "true"] {
            var meter = Self.meter()
            meter.receive(topic: "ha/power", payload: Array("2".utf8), now: 0)
            meter.receive(topic: "ha/power", payload: Array(junk.utf8), now: 1)
            #expect(meter.values(now: 1)["power.total"] == .some(nil), "\(junk) replaced the last value")
            #expect(meter.problems["power.total"]?.hasPrefix("not a plain decimal") == true, "\(junk)")
        }
        var meter = Self.meter()
        meter.receive(topic: "ha/power", payload: Array("500".utf8), now: 0)   // 500 kW at a house
        #expect(meter.values(now: 0)["power.total"] == .some(nil) && meter.problems["power.total"] == "implausible 500000.0")
        meter.receive(topic: "em", payload: Array(#"{"em:0": {"a_current": true}}"#.utf8), now: 0)
        #expect(meter.values(now: 0)["current.l1"] == .some(nil), "a boolean is not a current")
        meter.receive(topic: "em", payload: Array("{not json".utf8), now: 0)
        #expect(meter.problems["current.l1"] == "not JSON")
        meter.receive(topic: "em", payload: [UInt8](repeating: 32, count: 20_000), now: 0)
        #expect(meter.problems["current.l1"]?.hasPrefix("payload over") == true)
        #expect(MQTTMeterValues.decimal("-12.5") == -12.5 && MQTTMeterValues.decimal("230") == 230)
    }
}
