import ControlCore
@testable import SiteRuntime
@testable import NorthboundMQTT
import StorageModel
import EnergyControl
import Foundation
import Logging
import RegisterMaps
import Storage
import Testing
@testable import Bridge

@Suite("MQTT contract, commands and discovery")
struct MQTTContractTests {
    static let mappings = TestPaths.root.appendingPathComponent("Mappings")

    func shippedContract() throws -> TopicContract {
        try TopicContract.load(file: Self.mappings.appendingPathComponent("mqtt.yaml").path)
    }

    @Test func theShippedContractAndTemplatesLoad() throws {
        let contract = try shippedContract()
        #expect(contract.prefix == "chargebridge")
        #expect(contract.availabilityTopic == "chargebridge/status")
        let charger = try #require(contract.entities[.charger])
        let commands = Set(charger.values.compactMap(\.command))
        #expect(commands == [.mode, .currentLimit, .phases, .enable, .force, .plan])
        #expect(contract.entities[.zone]?.values.contains { $0.command == .operatorLimit } == true)
        #expect(contract.entities[.input]?.values.contains { $0.command == .input } == true)
        let templates = try DiscoveryTemplates.load(file: Self.mappings.appendingPathComponent("homeassistant.yaml").path, contract: contract)
        #expect(Set(templates.devices.keys) == Set(EntityKind.allCases))
    }

    @Test func contractMistakesNameFileLineAndField() {
        let cases: [(String, String)] = [
            ("entities: { charger: { topic: \"charger/{id}\", values: [ { topic: x, source: nothing } ] } }", "provides no \"nothing\""),
            ("entities: { meter: { topic: \"meter/{id}\", values: [ { topic: x, source: online, command: mode } ] } }", "takes no command \"mode\""),
            ("entities: { charger: { topic: \"charger/+\", values: [] } }", "without wildcards"),
            ("entities: { charger: { topic: charger, values: [] } }", "must contain {id}"),
            ("entities: { charger: { topic: \"c/{id}\", values: [ { topic: a, source: power }, { topic: a, source: energy } ] } }", "used twice"),
            ("payload_on: \"1\"\npayload_off: \"1\"\nentities: {}", "must be different"),
        ]
        for (yaml, message) in cases {
            do {
                _ = try TopicContract.parse(yaml, file: "mqtt.yaml")
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect(error.description.contains("mqtt.yaml") && error.description.contains(message), "\(error)")
            }
        }
    }

    @Test func payloadsAreParsedOrRejectedWithAReason() {
        func parse(_ command: CommandKind, _ text: String) -> Result<CommandValue, CommandRejection> {
            CommandPayload.parse(command, Array(text.utf8), maxLength: 256)
        }
        #expect(parse(.mode, "sun-only") == .success(.mode(.sunOnly)))
        #expect(parse(.mode, " NOW\n") == .success(.mode(.now)))
        #expect(parse(.currentLimit, "10") == .success(.amperes(10)))
        #expect(parse(.currentLimit, "12.0") == .success(.amperes(12)))
        #expect(parse(.phases, "1") == .success(.phases(1)))
        #expect(parse(.enable, "OFF") == .success(.flag(false)))
        #expect(parse(.force, "true") == .success(.flag(true)))
        #expect(parse(.operatorLimit, "20") == .success(.zoneLimit([20, 20, 20])))
        #expect(parse(.operatorLimit, "[32, 32, 20]") == .success(.zoneLimit([32, 32, 20])))
        #expect(parse(.operatorLimit, "none") == .success(.zoneLimit(nil)))
        let rejected: [(CommandKind, String, String)] = [
            (.mode, "turbo", "unknown mode"), (.currentLimit, "abc", "expected a number"), (.currentLimit, "10.5", "whole amperes"),
            (.currentLimit, "-1", "whole amperes"), (.currentLimit, "nan", "expected a number"), (.phases, "2", "1 or 3"),
            (.enable, "maybe", "expected ON or OFF"), (.operatorLimit, "[1, 2]", "[L1, L2, L3]"), (.operatorLimit, "-5", "[L1, L2, L3]"),
            (.operatorLimit, "off", "[L1, L2, L3]"),   // "off" must not mean "the full zone limit"
            (.currentLimit, String(repeating: "1", count: 300), "longer than the 256 allowed"),
            // plain decimals only: not hex, exponents, signs or infinities
            (.currentLimit, "0x10", "expected a number"), (.currentLimit, "1e1", "expected a number"), (.currentLimit, "+10", "expected a number"),
            (.currentLimit, "inf", "expected a number"), (.operatorLimit, "2e1", "[L1, L2, L3]"), (.operatorLimit, "[1e1, 20, 20]", "[L1, L2, L3]"),
            (.operatorLimit, "[20, 20, 20", "[L1, L2, L3]"),
        ]
        for (command, text, reason) in rejected {
            guard case .failure(let rejection) = parse(command, text) else { Issue.record("accepted \(text)"); continue }
            #expect(rejection.description.contains(reason), "\(rejection)")
        }
        #expect(CommandPayload.parse(.mode, [0xff, 0xfe], maxLength: 256) == .failure(CommandRejection("payload is not UTF-8 text")))
    }

    @Test func discoveryConfigsAreDeviceBasedWithUniqueAndDefaultEntityIDs() throws {
        let contract = try shippedContract()
        let templates = try DiscoveryTemplates.load(file: Self.mappings.appendingPathComponent("homeassistant.yaml").path, contract: contract)
        let builder = DiscoveryBuilder(contract: contract, templates: templates, discoveryPrefix: "homeassistant", version: "test", qos: 1)
        let values = contract.entities[.charger]!.values
        let charger = DiscoveryBuilder.Subject(kind: .charger, id: "cp1", topics: Set(values.map(\.topic)),
                                               placeholders: ["name": "Garage", "model": "EVC08", "brand": "chargebridge", "serial": "S1", "min": "6", "ceiling": "16"],
                                               commands: Set(values.filter { $0.command != nil }.map(\.topic)))
        let message = try #require(builder.message(for: charger))
        #expect(message.topic == "homeassistant/device/chargebridge_charger_cp1/config")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(message.payload.utf8)) as? [String: Any])
        #expect((json["o"] as? [String: Any])?["name"] as? String == "chargebridge")
        #expect((json["dev"] as? [String: Any])?["name"] as? String == "Garage")
        let components = try #require(json["cmps"] as? [String: [String: Any]])
        #expect(components.count == templates.devices[.charger]!.components.count)
        for (key, component) in components {
            #expect(component["unique_id"] as? String == key)
            #expect((component["default_entity_id"] as? String)?.hasPrefix("\(component["p"]!).") == true)
            #expect(component["object_id"] == nil)
            #expect((component["state_topic"] as? String)?.hasPrefix("chargebridge/charger/cp1/") == true)
        }
        let limit = try #require(components["chargebridge_charger_cp1_current_limit"])
        #expect(limit["p"] as? String == "number" && limit["max"] as? Double == 16)
        #expect(limit["command_topic"] as? String == "chargebridge/charger/cp1/current_limit/set")
        #expect(components["chargebridge_charger_cp1_mode"]?["options"] as? [String] == ChargeMode.allCases.map(\.rawValue))
        // a meter shows only what its map has, and is unavailable when it does not answer
        let meter = DiscoveryBuilder.Subject(kind: .meter, id: "grid", topics: ["online", "power"], placeholders: [:])
        let meterJSON = try #require(try JSONSerialization.jsonObject(with: Data(builder.message(for: meter)!.payload.utf8)) as? [String: Any])
        let meterComponents = try #require(meterJSON["cmps"] as? [String: [String: Any]])
        #expect(meterComponents.count == 2)
        #expect((meterComponents["chargebridge_meter_grid_power"]?["availability"] as? [[String: Any]])?.count == 2)
        #expect((meterComponents["chargebridge_meter_grid_online"]?["availability"] as? [[String: Any]])?.count == 1, "its own Online can show OFF")
    }

    @Test func theRuntimeStoreKeepsSettingsInTheDatabase() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cb-store-\(UUID().uuidString)")
        let store = RuntimeStore(database: try ChargeDatabase(path: folder.appendingPathComponent("cb.sqlite").path))
        #expect(try store.load() == RuntimeSettings())
        var settings = RuntimeSettings()
        settings.chargers["cp1"] = .init(mode: "sun-only", currentLimit: 10, enabled: false)
        settings.zoneLimits["garage"] = [20, 20, 20]
        settings.inputs["ripple"] = true
        try store.save(settings)
        #expect(try store.load() == settings)
        // another process (the next start) reads the same
        #expect(try RuntimeStore(database: try ChargeDatabase(path: store.database.path)).load() == settings)
        try store.database.setSetting("runtime", "{\"chargers\": {\"cp1\": {\"currentLimit\": 8}}}", at: 0)
        #expect(try store.load().chargers["cp1"]?.currentLimit == 8)   // missing keys: none set
        try store.database.setSetting("runtime", "{ not json", at: 0)
        #expect(throws: RuntimeStoreError.self) { try store.load() }
        // the service refuses to start rather than forget a saved limit or load-shedding signal
        #expect(throws: RuntimeStoreError.self) { try BridgeService.restoredSettings(store, logger: Logger(label: "test")) }
    }
}
