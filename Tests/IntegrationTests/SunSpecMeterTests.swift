import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Testing

/// SunSpec devices laid out by pysunspec2 itself (Tests/Peers/sunspec_server.py: common, a three-phase
/// inverter, a meter and a battery at base 40000, 0 or 50000) and served by pymodbus: `read --map
/// sunspec` finds the chain and decodes what pysunspec2 encoded; a running bridge reads a PV-role
/// inverter and a battery from it, shows them over MQTT, and a sun-only charger without any grid
/// meter follows the PV surplus (less the battery's discharge).
@Suite("SunSpec devices", .serialized)
struct SunSpecMeterTests {
    struct Device {
        let server: ManagedProcess
        let port: Int
        let valuesFile: URL

        func set(_ values: [String: [String: Any]]) throws { try Self.write(values, to: valuesFile) }

        /// Point values by model, scaled (pysunspec2 applies the scale factors); written whole, then
        /// renamed, so the server never reads half a file.
        static func write(_ values: [String: [String: Any]], to file: URL) throws {
            let next = file.appendingPathExtension("next")
            try JSONSerialization.data(withJSONObject: values).write(to: next)
            guard rename(next.path, file.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
    }

    static var common: [String: Any] { ["Mn": "Fronius", "Md": "Symo 8.2", "SN": "31415"] }
    static var inverter: [String: Any] { ["W": 7200, "AphA": 10.43, "AphB": 10.43, "AphC": 10.44, "PhVphA": 230.1, "PhVphB": 231.0,
                                          "PhVphC": 229.5, "Hz": 50.01, "WH": 1_234_567, "DCW": 7400] }
    static var meter: [String: Any] { ["W": -1500, "WphA": -500, "WphB": -500, "WphC": -500, "AphA": 2.17, "AphB": 2.17, "AphC": 2.17,
                                       "PhVphA": 230.0, "PhVphB": 230.0, "PhVphC": 230.0, "TotWhImp": 5_000_000, "TotWhExp": 2_500_000] }
    static func values(pv: Double = 7200, battery: Double = 0) -> [String: [String: Any]] {
        var inverter = Self.inverter
        inverter["W"] = pv
        return ["1": common, "103": inverter, "203": meter, "802": ["W": battery, "SoC": 55.5, "V": 51.2, "A": -15.6]]
    }

    static func start(base: Int = 40000, values: [String: [String: Any]] = values()) throws -> Device {
        let port = try TestEnvironment.freePort()
        let valuesFile = try TestEnvironment.temporaryFolder().appendingPathComponent("sunspec.json")
        try Device.write(values, to: valuesFile)
        let device = Device(server: try ManagedProcess(try TestEnvironment.python, [
            TestEnvironment.peer("sunspec_server.py"), "--port", "\(port)", "--base", "\(base)", "--models", "1,103,203,802",
            "--values-file", valuesFile.path, "--lifetime", "120",
        ]), port: port, valuesFile: valuesFile)
        try device.server.waitFor("ready")
        return device
    }

    @Test(arguments: [40000, 0, 50000])
    func readFindsTheChainAndDecodesWhatPysunspec2Encoded(base: Int) throws {
        let device = try Self.start(base: base, values: Self.values(battery: -800))
        defer { device.server.stop() }
        let read = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "sunspec", "--tcp", "127.0.0.1:\(device.port)", "--json"])
        #expect(read.status == 0, "\(read.stderr)")
        let values = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any], "\(read.stdout)")
        func number(_ name: String) -> Double? { values[name] as? Double }
        #expect(number("inverter.power.total") == 7200)
        #expect(number("inverter.current.l1") == 10.43)
        #expect(number("inverter.voltage.l1") == 230.1)
        #expect(number("inverter.frequency") == 50.01)
        #expect(number("inverter.energy.export") == 1_234_567)
        #expect(number("inverter.dc.power") == 7400)
        #expect(number("meter.power.total") == -1500)
        #expect(number("meter.power.l2") == -500)
        #expect(number("meter.current.l3") == 2.17)
        #expect(number("meter.energy.import") == 5_000_000)
        #expect(number("battery.soc") == 55.5)
        #expect(number("battery.power.total") == -800)
        // not given to pysunspec2, so "not implemented" on the wire: absent, never 0
        #expect(values["meter.frequency"] is NSNull, "\(values)")
        #expect(values["inverter.power.rated"] is NSNull, "no nameplate model in this chain")
        let table = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "sunspec", "--tcp", "127.0.0.1:\(device.port)"])
        #expect(table.stdout.contains("base \(base): Fronius Symo 8.2 (SN 31415), models 1, 103, 203, 802"), "\(table.stdout)")
    }

    @Test func aDeviceWithoutTheMarkerIsNotSunSpec() throws {
        // a PAC2200-shaped meter: registers at 0…, no "SunS" anywhere
        let spec = try TestEnvironment.temporaryFolder().appendingPathComponent("plain.json")
        try #"{"unit": 1, "values": [{"function": "holding", "address": 0, "type": "u16", "value": 7}, {"function": "holding", "address": 40000, "type": "u16", "value": 8}]}"#
            .write(to: spec, atomically: true, encoding: .utf8)
        let port = try TestEnvironment.freePort()
        let server = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("meter_server.py"), "--spec", spec.path, "--tcp", "\(port)", "--lifetime", "60"])
        defer { server.stop() }
        try server.waitFor("ready")
        let read = try runCommand(try TestEnvironment.chargebridge, ["read", "--map", "sunspec", "--tcp", "127.0.0.1:\(port)", "--json"])
        #expect(read.status != 0)
        #expect(read.stderr.contains("no SunSpec marker \"SunS\" at 40000, 0, 50000"), "\(read.stderr)")
    }

    @Test func aPVInverterWithoutAGridMeterDrivesSunOnly() throws {
        let broker = try Broker("test-auth.conf")
        defer { broker.stop() }
        let device = try Self.start()
        defer { device.server.stop() }
        let chargerPort = try TestEnvironment.freePort()
        let yaml = """
            site: { sun_start_delay_s: 0, sun_stop_delay_s: 600, increase_interval_s: 0.5, resume_delay_s: 0, sun_house_base_w: 300 }
            modbus: { bind: 127.0.0.1 }
            mqtt: \(broker.bridgeSettings)
            meters:
              - { id: roof, role: pv, map: sunspec, tcp: "127.0.0.1:\(device.port)", period_ms: 200 }
              - { id: house-battery, role: battery, map: sunspec, tcp: "127.0.0.1:\(device.port)", period_ms: 200 }
            chargers:
              - id: ev
                max_current: 16
                failsafe_current: 16
                mode: sun-only
                modbus: { port: \(chargerPort) }
                simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 500, soc: 0.1 } ] }
            """
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("sunspec-site.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let check = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file.path, "--while-running"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(!check.stdout.contains("no loop uses it"), "\(check.stdout)")
        let bridge = try FuseSite.run(yaml, chargerPort: chargerPort, file: file)
        defer { bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: chargerPort), unit: 255)
        defer { client.close() }
        // 7 200 W of PV − 300 W of house: 6 900 W = 10 A on three phases
        #expect(try FuseSite.waitForCurrent(client, within: 20) { abs($0 - 10) < 0.01 } != nil, "\(bridge.text.suffix(2000))")
        // the values are on the bridge's MQTT face like any meter's
        try broker.waitFor("chargebridge/meter/roof/power") { Double($0) == 7200 }
        try broker.waitFor("chargebridge/meter/house-battery/power") { Double($0) == 0 }
        // a cloud: 5 100 W leaves 4 800 W = 6 A
        try device.set(Self.values(pv: 5100))
        #expect(try FuseSite.waitForCurrent(client, within: 20) { abs($0 - 6) < 0.01 } != nil, "\(bridge.text.suffix(2000))")
        // sun again, but the house battery discharges 1 380 W: the car does not drain it, 6 900 − 1 380 = 5 520 W = 8 A
        try device.set(Self.values(pv: 7200, battery: 1380))
        #expect(try FuseSite.waitForCurrent(client, within: 20) { abs($0 - 8) < 0.01 } != nil, "\(bridge.text.suffix(2000))")
        #expect(bridge.text.contains("PV meter roof (tcp://127.0.0.1:\(device.port) unit 1): SunSpec device at base 40000: Fronius Symo 8.2"))
    }
}
