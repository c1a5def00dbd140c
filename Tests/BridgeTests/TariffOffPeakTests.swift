@testable import ChargerDrivers
import ControlCore
import EnergyControl
import FaceLayouts
import Foundation
import Logging
import RegisterMaps
import ServiceConfiguration
import ServiceSupport
@testable import SiteRuntime
import StorageModel
import Testing

/// Off-peak from the utility's meter (Vestel EVC08 §16.2, Linky TIC): the tariff a meter reports
/// holds or releases the chargers, is shown in the view, is forgotten when it goes stale (the clock
/// windows stand in), and a configuration that cannot work is refused with a clear message.
@Suite("Off-peak from the meter's tariff")
struct TariffOffPeakTests {
    /// Tuesday 1 December 2026, 17:00 UTC: peak by the default windows (11–16, 22–08).
    static let tuesdayFive = 1_796_144_400.0

    static func yaml(_ offPeak: String, meters: String = "  - { id: linky, tic: { device: /dev/null, mode: standard } }") -> String {
        """
        site: { time_zone: UTC }
        meters:
        \(meters)
        load_management:
          zones: [ { id: garage, limit_a: 32 } ]
          off_peak: \(offPeak)
        chargers:
          - { id: cp1, zone: garage, max_current: 16, failsafe_current: 16, modbus: { port: 1 }, simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 32 } ] } }
        """
    }

    static func control(_ yaml: String) throws -> (SiteControl, [ChargerPoint]) {
        let site = try SimulatedSite(yaml, wallClock: { tuesdayFive })
        return (site.control, site.chargers)
    }

    static func tariff(_ value: Double) -> [Reading] { [Reading(name: "tariff", unit: "1", value: .success(.number(value)))] }

    @Test func theMetersTariffHoldsAndReleasesTheChargerAndGoesStale() throws {
        let (control, chargers) = try Self.control(Self.yaml("{ source: tic, random_delay_max_s: 0 }"))
        #expect(control.tariffMeter == "linky")
        // before any tariff: the clock says peak at 17:00
        control.step(now: 1)
        #expect(chargers[0].snapshot.decision.reason == .offPeak && control.view().offPeak == false)
        // the meter says HC (1): off-peak although the clock says peak (the charger resumes after its delay)
        control.tariffPolled(Self.tariff(1), time: 2)
        control.step(now: 3)
        #expect(chargers[0].snapshot.decision.reason != .offPeak && control.view().offPeak == true && control.view().inputs.tariff == 1)
        for now in stride(from: 5.0, through: 30, by: 5) { control.step(now: now) }
        #expect(chargers[0].snapshot.decision.amperes == 16, "\(chargers[0].snapshot.decision)")
        // HP (2): held at once
        control.tariffPolled(Self.tariff(2), time: 31)
        control.step(now: 32)
        #expect(chargers[0].snapshot.decision == SetpointDecision(amperes: 0, reason: .offPeak))
        // nonsense (2.5) is no tariff: the clock decides
        control.tariffPolled(Self.tariff(1), time: 33)
        control.tariffPolled(Self.tariff(2.5), time: 34)
        control.step(now: 35)
        #expect(control.view().inputs.tariff == nil && chargers[0].snapshot.decision.reason == .offPeak)
        // HC again, then silence for over a minute: forgotten, the clock's peak holds the charger
        control.tariffPolled(Self.tariff(1), time: 40)
        for now in stride(from: 41.0, through: 70, by: 5) { control.step(now: now) }
        #expect(chargers[0].snapshot.decision.amperes == 16)
        control.step(now: 101)
        #expect(control.view().inputs.tariff == nil && chargers[0].snapshot.decision.reason == .offPeak)
    }

    @Test func aTariffSourceThatCannotWorkIsRefused() {
        func message(_ yaml: String) -> String {
            do { _ = try Configuration.parse(yaml, file: "site.yaml"); return "accepted" } catch { return "\(error)" }
        }
        #expect(message(Self.yaml("{ source: tic }", meters: "  - { id: grid, map: pac2200, tcp: \"127.0.0.1:1502\" }"))
            .contains("source: tic needs a meter that reports the tariff (a tic: or p1: meter under meters)"))
        #expect(message(Self.yaml("{ source: tic, meter: linky2 }")).contains("no meter with id \"linky2\" under meters"))
        #expect(message(Self.yaml("{ source: tic, meter: grid }", meters: """
              - { id: linky, tic: { device: /dev/null } }
              - { id: grid, map: pac2200, tcp: "127.0.0.1:1502" }
            """)).contains("meter \"grid\" reports no tariff"))
        #expect(message(Self.yaml("{ source: tic }", meters: """
              - { id: linky, tic: { device: /dev/null } }
              - { id: p1, p1: { device: /dev/zero } }
            """)).contains("several meters report a tariff (linky, p1): name one with meter:"))
        #expect(message(Self.yaml("{ off_peak_tariffs: [1] }")).contains("off_peak_tariffs is for source: tic"))
        #expect(message(Self.yaml("{ source: sun }")).contains("clock (the windows) or tic"))
        #expect(message(Self.yaml("{ source: tic, off_peak_tariffs: [] }")).contains("at least one tariff index"))
        #expect(message(Self.yaml("{ source: tic, meter: linky, off_peak_tariffs: [1, 3] }")) == "accepted")
    }

    /// Time of use from the TIC: a period may be on while the meter counts its tariffs (Tempo red HP
    /// at 50 %), for the zone's maximum and for the sessions' energy per period.
    @Test func timeOfUsePeriodsFollowTheMetersTariff() throws {
        let yaml = Self.yaml("{ source: tic, random_delay_max_s: 0, windows: [\"00:00-23:59\"] }")
            .replacingOccurrences(of: "\n  off_peak:", with: "\n  time_of_use:\n    - { period: red-peak, percent: 50, tariffs: [6] }"
                                  + "\n    - { period: red-off-peak, percent: 25, tariffs: [5] }\n  off_peak:")
        let (control, chargers) = try Self.control(yaml)
        control.tariffPolled(Self.tariff(6), time: 1)                  // Tempo red HP: the meter says off-peak is over…
        for now in stride(from: 2.0, through: 30, by: 2) { control.step(now: now) }
        #expect(chargers[0].snapshot.decision.reason == .offPeak)       // …and the charger waits (6 is not off-peak)
        control.tariffPolled(Self.tariff(5), time: 31)                 // red HC: off-peak, but the zone at 25 % of 32 A
        for now in stride(from: 32.0, through: 60, by: 2) { control.step(now: now) }
        #expect(chargers[0].snapshot.decision == SetpointDecision(amperes: 8, reason: .zone), "\(chargers[0].snapshot.decision)")
        let tou = try #require(try Configuration.parse(yaml, file: "site.yaml").load?.timeOfUse)
        #expect(tou.percent(at: LocalTime(weekday: 2, secondOfDay: 0), tariff: 6) == 50)
        #expect(tou.percent(at: LocalTime(weekday: 2, secondOfDay: 0), tariff: 5) == 25)
        #expect(tou.percent(at: LocalTime(weekday: 2, secondOfDay: 0), tariff: nil) == 100)
        #expect(tou.period(at: LocalTime(weekday: 2, secondOfDay: 0), tariff: 6) == "red-peak")
        // tariffs without a meter that counts them are refused
        let clock = yaml.replacingOccurrences(of: "source: tic, ", with: "")
        #expect((try? Configuration.parse(clock, file: "site.yaml")) == nil)
        do { _ = try Configuration.parse(clock, file: "site.yaml") } catch {
            #expect("\(error)".contains("time_of_use tariffs need the meter that counts them"), "\(error)")
        }
    }
}
