import ControlCore
import EnergyControl
import Foundation
import LinkValues
import RegisterMaps
import ServiceConfiguration
import StorageModel
import Testing

/// `site.utility.modbus`: the gateway's registers as configured, refused with file, line and field
/// when wrong; in the core, the lowest of contact, MQTT and gateway holds (never below the floor),
/// and the gateway's failsafe is recorded, at most once a minute.
@Suite("Utility gateway configuration and core")
struct UtilityGatewayConfigurationTests {
    static let yaml = """
        site:
          utility:
            modbus:
              tcp: 127.0.0.1:1502
              unit: 3
              function: input
              limit: { address: 10, type: u32, word_order: little, scale: 0.1, unit: kW, no_limit: 4294967295 }
              heartbeat: { address: 12, timeout_s: 30 }
              period_ms: 500
              failsafe_kw: 11
        chargers:
          - { id: a, max_current: 16, failsafe_current: 16, modbus: { port: 1503 } }
          - { id: b, max_current: 16, failsafe_current: 16, modbus: { port: 1504 } }
        """

    func problem(_ text: String) -> String {
        do { _ = try Configuration.parse(text, file: "site.yaml"); return "accepted" } catch { return "\(error)" }
    }

    @Test func theGatewayIsReadAsConfigured() throws {
        let config = try Configuration.parse(Self.yaml, file: "site.yaml")
        let gateway = try #require(config.utilityGateway)
        #expect(gateway.endpoint == .tcp(host: "127.0.0.1", port: 1502) && gateway.unit == 3 && gateway.period == 0.5)
        #expect(gateway.limit.address == 10 && gateway.limit.type == .u32 && gateway.limit.wordOrder == .little && gateway.limit.function == .input)
        #expect(gateway.heartbeat?.address == 12 && gateway.heartbeat?.function == .input)
        #expect(gateway.settings.wattsPerCount == 100 && gateway.settings.noLimit == 4_294_967_295)   // as configured
        #expect(gateway.settings.timeout == 30 && gateway.settings.failsafeW == 11_000)
        let core = config.coreSettings(ownFailsafeTimeouts: [nil, nil], recordSessions: false, checkpointSeconds: 5)
        #expect(core.utilityGateway == gateway.settings)
        // defaults: holding, u16 in kW, no value means "no limit", 60 s, the floor as failsafe
        let plain = try Configuration.parse(Self.yaml.replacingOccurrences(of: """
                  function: input
                  limit: { address: 10, type: u32, word_order: little, scale: 0.1, unit: kW, no_limit: 4294967295 }
                  heartbeat: { address: 12, timeout_s: 30 }
                  period_ms: 500
                  failsafe_kw: 11
            """, with: """
                  limit: { address: 10 }
                  heartbeat: none
            """), file: "site.yaml")
        #expect(plain.utilityGateway?.limit.function == .holding && plain.utilityGateway?.limit.type == .u16)
        // all ones is no value (the failsafe), unless it is the named "no limit"
        let limit = try #require(plain.utilityGateway?.limit)
        #expect(Codec.rawValue([0xFFFF], as: limit) == nil && Codec.rawValue([650], as: limit) == 650)
        #expect(Codec.rawValue([0xFFFF, 0xFFFF], as: gateway.limit) == 4_294_967_295)
        #expect(plain.utilityGateway?.settings == { var s = UtilityGateway.Settings(); s.noLimit = nil; s.heartbeat = false; return s }())
    }

    @Test func badKeysAreRefusedWithFileAndLine() {
        let cases: [(old: String, new: String, line: Int, says: String)] = [
            ("type: u32", "type: f64", 7, "site.utility.modbus.limit.type: u16, i16, u32, i32 or f32"),
            ("function: input", "function: coil", 6, "site.utility.modbus.function: holding or input"),
            ("unit: kW,", "unit: A,", 7, "W or kW, got \"A\""),
            ("scale: 0.1", "scale: -1", 7, "a positive number"),
            ("timeout_s: 30", "timeout_s: 0", 8, "timeout_s"),
            ("period_ms: 500", "period_ms: 20000", 9, "at most half the heartbeat's timeout_s (30 s)"),
            ("failsafe_kw: 11", "failsafe_kw: -2", 10, "failsafe_kw"),
            ("failsafe_kw: 11", "failsafe_w: 11", 10, "unknown field"),
            ("tcp: 127.0.0.1:1502", "host: 127.0.0.1", 4, "give exactly one of tcp"),
            ("      heartbeat: { address: 12, timeout_s: 30 }\n", "", 4, "heartbeat: missing required field"),
        ]
        for item in cases {
            let text = problem(Self.yaml.replacingOccurrences(of: item.old, with: item.new))
            #expect(text.hasPrefix("site.yaml:\(item.line):") && text.contains(item.says), "\(item.new): \(text)")
        }
        // a scenario has no gateway to read
        #expect(throws: DataFileError.self) {
            var fields = try YAMLNode.parse("utility: { modbus: { tcp: 127.0.0.1:1502 } }", file: "scenario.yaml").fields()
            _ = try SiteSettingsParserAccess.parse(&fields)
        }
    }

    static func core() throws -> ControlCore {
        let config = try Configuration.parse(Self.yaml, file: "site.yaml")
        return try ControlCore(settings: config.coreSettings(ownFailsafeTimeouts: [nil, nil], recordSessions: false, checkpointSeconds: 5), now: 0)
    }

    static func events(_ changes: [StorageChange]) -> [String] {
        changes.compactMap { if case .event(let event) = $0 { "\(event.kind): \(event.detail)" } else { nil } }
    }

    @Test func theLowestLimitHoldsAndTheFailsafeIsRecordedAtMostOnceAMinute() throws {
        var core = try Self.core()
        let statuses = [ChargerStatus(), ChargerStatus()]
        _ = core.utilityGatewayRead(limit: .number(150), heartbeat: .number(1), now: 1, wall: 1000)   // 15 kW
        var step = core.step(now: 1, wall: 1000, localTime: nil, statuses: statuses)
        #expect(core.view.utilityLimitW == 15_000)
        #expect(Self.events(step.storage) == ["utility-limit: 15 kW for the chargers together"])
        // an MQTT limit below it holds; the floor of two chargers (7.56 kW) still applies
        _ = try core.apply(.powerLimit, id: "site", .watts(5000))
        _ = core.step(now: 2, wall: 1001, localTime: nil, statuses: statuses)
        #expect(core.view.utilityLimitW == 7560)
        _ = try core.apply(.powerLimit, id: "site", .watts(nil))
        // a bad value: the failsafe limit (11 kW) at once, recorded
        let bad = core.utilityGatewayRead(limit: .number(-3), heartbeat: .number(2), now: 3, wall: 1002)
        #expect(Self.events(bad.storage) == ["utility-gateway-failsafe: the limit register holds -3, not a power: failsafe limit 11 kW"])
        step = core.step(now: 3, wall: 1002, localTime: nil, statuses: statuses)
        #expect(core.view.utilityLimitW == 11_000)
        // back, and failing again within the minute: nothing more recorded until the minute is over
        var quiet = core.utilityGatewayRead(limit: .number(150), heartbeat: .number(3), now: 4, wall: 1003).storage
        quiet += core.utilityGatewayRead(limit: .number(-3), heartbeat: .number(4), now: 5, wall: 1004).storage
        quiet += core.utilityGatewayRead(limit: .number(150), heartbeat: .number(5), now: 6, wall: 1005).storage
        #expect(Self.events(quiet).isEmpty)
        #expect(core.utilityLimitInForceW == 15_000, "the limit itself holds at once")
        let later = core.utilityGatewayRead(limit: .number(150), heartbeat: .number(6), now: 63, wall: 1063)
        #expect(Self.events(later.storage) == ["utility-gateway-recovered: alive again: its limit holds (15 kW) (1 failsafe entry since the last line)"])
    }
}

import SiteConfiguration

/// The scenario files' parser, without the service's gateway hook.
enum SiteSettingsParserAccess {
    static func parse(_ fields: inout YAMLFields) throws(DataFileError) -> SiteSettings { try SiteSettingsParser.parse(&fields) }
}
