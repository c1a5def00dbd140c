import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
import ServiceConfiguration
import ServiceSupport
import SiteRuntime
import SunSpec
import Testing

/// `role: grid | pv | battery` on meters, the battery settings and `map: sunspec` entries.
@Suite("Meter roles and SunSpec entries")
struct MeterRoleConfigurationTests {
    func parse(_ text: String) throws -> Configuration { try Configuration.parse(text, file: "site.yaml") }

    func error(_ text: String) -> String? {
        do { _ = try Configuration.parse(text, file: "site.yaml"); return nil } catch { return error.description }
    }

    static let sunCharger = "chargers: [ { id: a, mode: sun-only, modbus: { port: 1600 } } ]\n"

    @Test func aPVMeterAloneAllowsTheSunModes() throws {
        let config = try parse("meters: [ { id: roof, role: pv, map: pac2200, tcp: \"127.0.0.1:1502\" } ]\n" + Self.sunCharger)
        #expect(config.pvMeter == "roof")
        #expect(config.gridMeter == nil)
        #expect(config.advisories.isEmpty, "\(config.advisories)")
        let core = config.coreSettings(ownFailsafeTimeouts: [nil], recordSessions: false, checkpointSeconds: 5)
        #expect(core.pvMeter == "roof")
        #expect(PolledDevice.role(of: "roof", config) == .pvMeter)
    }

    @Test func theSunModesNeedAGridOrAPVMeter() {
        #expect(error(Self.sunCharger)?.contains("set site.grid_meter, give a PV meter role: pv, or use mode: max-hybrid") == true)
    }

    @Test func roleGridIsTheGridMeter() throws {
        let config = try parse("""
            meters: [ { id: main, role: grid, map: pac2200, tcp: "127.0.0.1:1502" }, { id: bat, role: battery, map: pac2200, tcp: "127.0.0.1:1503" } ]
            site: { grid_meter: main, battery: { car_may_discharge: true } }
            """ + "\n" + Self.sunCharger)
        #expect(config.gridMeter == "main")
        #expect(config.batteryMeter == "bat")
        #expect(config.site.sun.carMayDischargeBattery)
        #expect(!config.site.sun.carBeforeBattery)
    }

    @Test func twoGridMetersAreRefusedWithTheLine() {
        let text = """
            meters:
              - { id: one, role: grid, map: pac2200, tcp: "127.0.0.1:1502" }
              - { id: two, role: grid, map: pac2200, tcp: "127.0.0.1:1503" }
            chargers: [ { id: a, modbus: { port: 1600 } } ]
            """
        #expect(error(text)?.hasPrefix("site.yaml:3: meters[1]: meter two: a second grid meter (one is one") == true, "\(error(text) ?? "")")
        let named = "site: { grid_meter: one }\n" + text.replacingOccurrences(of: "id: one, role: grid,", with: "id: one,")
        #expect(error(named)?.hasPrefix("site.yaml:4: meters[1]: meter two: a second grid meter") == true, "\(error(named) ?? "")")
        let twoPV = text.replacingOccurrences(of: "role: grid", with: "role: pv")
        #expect(error(twoPV)?.contains("a second pv meter") == true)
    }

    @Test func anUnknownRoleSuggestsTheNearest() {
        let text = "meters: [ { id: roof, role: pvv, map: pac2200, tcp: \"127.0.0.1:1502\" } ]\nchargers: [ { id: a, modbus: { port: 1600 } } ]\n"
        #expect(error(text) == "site.yaml:1: meters[0].role: unknown role \"pvv\" (grid, pv, battery); did you mean \"pv\"?")
    }

    @Test func signAppliesToPVAndBatteryMetersOnly() throws {
        let base = "meters: [ { id: m, role: ROLE, sign: inverted, map: pac2200, tcp: \"127.0.0.1:1502\" } ]\n" + Self.sunCharger
        #expect(try parse(base.replacingOccurrences(of: "ROLE", with: "pv")).meters[0].powerInverted)
        #expect(error(base.replacingOccurrences(of: "ROLE", with: "grid"))?.contains("sign: applies to role: pv") == true)
    }

    @Test func aGridMeterCannotAlsoBeThePVMeter() {
        let text = "site: { grid_meter: m }\nmeters: [ { id: m, role: pv, map: pac2200, tcp: \"127.0.0.1:1502\" } ]\n" + Self.sunCharger
        #expect(error(text)?.contains("meter m has role: pv but site.grid_meter names it") == true, "\(error(text) ?? "")")
    }

    @Test func batterySettingsNeedABatteryMeter() {
        let text = "site: { battery: { car_before_battery: true } }\nmeters: [ { id: m, role: pv, map: pac2200, tcp: \"127.0.0.1:1502\" } ]\n" + Self.sunCharger
        #expect(error(text) == "site.yaml: site.battery: the battery settings need a meter with role: battery")
    }

    @Test func aRoleMeterWithoutASunModeIsSaidToBeUnused() throws {
        let config = try parse("""
            meters: [ { id: roof, role: pv, map: pac2200, tcp: "127.0.0.1:1502" }, { id: bat, role: battery, map: pac2200, tcp: "127.0.0.1:1503" } ]
            chargers: [ { id: a, modbus: { port: 1600 } } ]
            """)
        #expect(config.advisories.count == 2)
        #expect(config.advisories.allSatisfy { $0.contains("counts only for chargers in mode sun-only or sun-hybrid") })
    }

    @Test func aSunSpecEntryReadsWhatItsRoleMeasures() throws {
        let config = try parse("""
            site: { grid_meter: house }
            meters:
              - { id: inverter, role: pv, map: sunspec, tcp: "127.0.0.1:1502", unit: 3 }
              - { id: house, map: sunspec, tcp: "127.0.0.1:1502" }
              - { id: bat, role: battery, map: sunspec, tcp: "127.0.0.1:1502" }
              - { id: other, map: sunspec, model: 113, rtu: { device: /dev/ttyUSB0 } }
            """ + "\n" + Self.sunCharger)
        #expect(config.meters.map { $0.sunspec?.family } == [.inverter, .meter, .battery, .inverter])
        #expect(config.meters[3].sunspec?.model == 113)
        #expect(config.meters[0].unit == 3)
        #expect(config.meters[0].map.quantity(named: "power.total") != nil)
        #expect(config.meters[0].map.quantity(named: "dc.power") != nil)
        #expect(config.meters[2].map.quantity(named: "soc") != nil)
        #expect(config.meters[0].sunspec?.models[103] != nil, "the layouts come from Registers/sunspec/models.json")
    }

    @Test func aSunSpecModelMustBeAnInverterMeterOrBattery() {
        let base = "meters: [ { id: m, map: sunspec, model: MODEL, tcp: \"127.0.0.1:1502\" } ]\nchargers: [ { id: a, modbus: { port: 1600 } } ]\n"
        #expect(error(base.replacingOccurrences(of: "MODEL", with: "120"))?.contains("model 120 is not an inverter, meter or battery model") == true)
        #expect(error(base.replacingOccurrences(of: "MODEL", with: "invertr"))?.contains("did you mean \"inverter\"?") == true)
        let mapped = "meters: [ { id: m, map: pac2200, model: 103, tcp: \"127.0.0.1:1502\" } ]\nchargers: [ { id: a, modbus: { port: 1600 } } ]\n"
        #expect(error(mapped)?.contains("model: picks a SunSpec model") == true)
    }

    @Test func theCorePicksThePVMeterAsTheSurplusSourceAndCrossChecksTheGridMeter() throws {
        var site = SiteSettings()
        site.ramp.increaseInterval = 0
        var settings = CoreSettings(site: site, chargers: [CoreSettings.Charger(id: "a", limits: ChargerLimits(minCurrent: 6, maxCurrent: 32, phases: 3),
                                                                                mode: .sunOnly, failsafeCurrent: 6)])
        settings.pvMeter = "roof"
        var status = ChargerStatus()
        status.cable = .vehicleLocked
        status.state = .charging
        var core = try ControlCore(settings: settings, now: 0)
        core.recordPV(PowerSample(time: 0, watts: 3000))
        var logs = core.step(now: 0, wall: 0, localTime: nil, statuses: [status]).logs.map(\.message)
        #expect(logs.contains("PV meter roof online"), "\(logs)")
        logs = core.step(now: 10, wall: 10, localTime: nil, statuses: [status]).logs.map(\.message)
        #expect(logs.contains { $0.hasPrefix("PV meter roof lost") }, "\(logs)")

        settings.gridMeter = "grid"
        var checked = try ControlCore(settings: settings, now: 0)
        var said: [String] = []
        for t in stride(from: 0.0, through: 40, by: 1) {
            checked.recordPV(PowerSample(time: t, watts: 1000))
            said += checked.step(now: t, wall: t, localTime: nil, statuses: [status],
                                 sample: GridSample(time: t, currents: [-10, -10, -10], power: -6900)).logs.map(\.message)
        }
        #expect(said.filter { $0.contains("more than PV production 1000 W") }.count == 1, "\(said)")
    }
}
