import Foundation
import RegisterMaps
import ServiceConfiguration
import Testing

/// The exact text of the configuration errors a new installer meets first.
@Suite("Helpful configuration errors")
struct HelpfulConfigurationErrorTests {
    func error(_ text: String) -> String? {
        do { _ = try Configuration.parse(text, file: "site.yaml"); return nil } catch { return error.description }
    }

    @Test func aMistypedMapNameSuggestsTheNearestMap() {
        let text = """
            site: { grid_meter: grid, fuse_a: 25, headroom_a: 1, fallback_a: 6 }
            meters: [ { id: grid, map: pac220, tcp: "127.0.0.1:1502" } ]
            chargers: [ { id: a, modbus: { port: 1600 } } ]
            """
        #expect(error(text) == "site.yaml:2: meters[0].map: no register map \"pac220\" (a file or a name listed by `chargebridge maps`); did you mean \"pac2200\"?")
        #expect(error(text.replacingOccurrences(of: "pac220", with: "nope"))
            == "site.yaml:2: meters[0].map: no register map \"nope\" (a file or a name listed by `chargebridge maps`)")
    }

    @Test func aMistypedZoneListsTheZonesAndSuggestsTheNearest() {
        let text = """
            load_management: { zones: [ { id: garage, limit_a: 32 }, { id: street, limit_a: 32 } ] }
            chargers: [ { id: c, zone: garge } ]
            """
        #expect(error(text) == "site.yaml:2: chargers[0].zone: no zone \"garge\" under load_management.zones (leaf zones: garage, street); did you mean \"garage\"?")
        #expect(error(text.replacingOccurrences(of: "garge", with: "basement"))
            == "site.yaml:2: chargers[0].zone: no zone \"basement\" under load_management.zones (leaf zones: garage, street)")
    }

    @Test func aMistypedKeySuggestsTheNearestKnownOne() {
        let text = "modbus: { bind: 127.0.0.1, bnd: x }\nchargers: [ { id: a, modbus: { port: 1600 } } ]\n"
        #expect(error(text) == "site.yaml:1: modbus.bnd: unknown field (known fields here: allow_write, bind, face, faces, frame_timeout_ms, layout, max_readers, mode, port, zones); did you mean \"bind\"?")
    }
}
