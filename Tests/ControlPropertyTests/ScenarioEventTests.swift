import ControlCore
import EnergyControl
import Foundation
import RegisterMaps
import StorageModel
import Testing
@testable import Simulation

/// Everything the service can be told can be played in simulation, through the service's own core.
@Suite("Scenario events")
struct ScenarioEventTests {
    /// Runs a scenario file and returns the setpoint and reason of charger 0 at each listed time.
    func run(_ yaml: String, at times: [Seconds], sessions: Bool = false) throws -> (points: [Seconds: SetpointDecision], summary: SiteSimulator.Summary, simulator: SiteSimulator) {
        let scenario = try ScenarioLoader.parse(yaml, file: "events.yaml")
        var simulator = try SiteSimulator(scenario: scenario, recordSessions: sessions)
        var points: [Seconds: SetpointDecision] = [:]
        let summary = simulator.run { tick in
            for time in times where abs(tick.time - time) < 1e-9 {
                points[time] = SetpointDecision(amperes: tick.setpoints[0], reason: tick.reasons[0])
            }
        }
        return (points, summary, simulator)
    }

    static let charger = """
        chargers:
          - { id: cp, min_current: 6, max_current: 16, evs: [ { arrive: 0, phases: 3, max_current: 32, capacity_kwh: 500 } ] }
        """

    @Test func energyManagerWritesAndSilenceFollowTheEVC08Contract() throws {
        let (points, summary, _) = try run("""
            duration_s: 120
            \(Self.charger)
            events:
              - { at: 10, charger: cp, ems: { failsafe_timeout_s: 5, failsafe_current: 6, charging_current: 10 } }
              - { at: 30, charger: cp, ems: silent }
              - { at: 60, charger: cp, ems: alive }
              - { at: 70, charger: cp, ems: { charging_current: 3 } }
            """, at: [5, 20, 33, 40, 65, 80])
        #expect(points[5] == SetpointDecision(amperes: 16, reason: .ems))
        #expect(points[20] == SetpointDecision(amperes: 10, reason: .ems))
        #expect(points[33] == SetpointDecision(amperes: 10, reason: .ems))        // within the 5 s timeout
        #expect(points[40] == SetpointDecision(amperes: 6, reason: .failsafe))    // silent for longer: failsafe current
        #expect(points[65] == SetpointDecision(amperes: 10, reason: .ems))        // alive again
        #expect(points[80] == SetpointDecision(amperes: 10, reason: .ems))        // 3 A was refused and changed nothing
        #expect(summary.refusedEvents.count == 1 && summary.refusedEvents[0].contains("current 3 A"))
    }

    @Test func operatorCommandsActAsOverMQTTAndBadOnesAreRefused() throws {
        let (points, summary, _) = try run("""
            duration_s: 120
            \(Self.charger)
            events:
              - { at: 10, charger: cp, set: { current_limit: 8 } }
              - { at: 30, charger: cp, set: { enable: false } }
              - { at: 50, charger: cp, set: { enable: true, mode: "off" } }
              - { at: 70, charger: cp, set: { mode: max-hybrid, current_limit: 3 } }
              - { at: 90, charger: cp, set: { phases: 1 } }
            """, at: [20, 40, 60, 80, 100])
        #expect(points[20] == SetpointDecision(amperes: 8, reason: .operatorLimit))
        #expect(points[40] == SetpointDecision(amperes: 0, reason: .disabled))
        #expect(points[60] == SetpointDecision(amperes: 0, reason: .mode))
        #expect(points[80] == SetpointDecision(amperes: 8, reason: .operatorLimit))   // 3 A refused: the limit stays 8 A
        #expect(summary.refusedEvents.count == 2)                                      // 3 A, and phases on a charger that cannot switch
        #expect(summary.refusedEvents.contains { $0.contains("current_limit") } && summary.refusedEvents.contains { $0.contains("cannot switch") })
    }

    @Test func aForcedChargeCancelsTheOffPeakWait() throws {
        let (points, _, _) = try run("""
            start: "17:00"
            start_weekday: tue
            duration_s: 600
            load_management:
              off_peak: { windows: ["22:00-08:00"], random_delay_max_s: 0 }
              zones: [ { id: home, limit_a: 32 } ]
            chargers:
              - { id: cp, zone: home, min_current: 6, max_current: 16, evs: [ { arrive: "17:00", phases: 3, max_current: 32 } ] }
            events:
              - { at: "17:05", charger: cp, set: { force: true } }
            """, at: [120, 400])
        #expect(points[120] == SetpointDecision(amperes: 0, reason: .offPeak))
        #expect(points[400]?.amperes == 16)
    }

    @Test func zoneOperatorLimitsArePlayedAndChecked() throws {
        let (points, summary, _) = try run("""
            duration_s: 60
            load_management: { zones: [ { id: home, limit_a: 32 } ] }
            chargers:
              - { id: cp, zone: home, min_current: 6, max_current: 16, evs: [ { arrive: 0, phases: 3, max_current: 32 } ] }
            events:
              - { at: 10, zone: home, set: { operator_limit: 10 } }
              - { at: 30, zone: home, set: { operator_limit: 40 } }
            """, at: [20, 40])
        #expect(points[20] == SetpointDecision(amperes: 10, reason: .zone))
        #expect(points[40] == SetpointDecision(amperes: 10, reason: .zone))            // 40 A is above the zone: refused
        #expect(summary.refusedEvents.count == 1)
    }

    @Test func badEventsNameFileLineAndField() {
        for (yaml, message) in [
            ("events: [ { at: 5, charger: nope, ems: silent } ]", "no charger"),
            ("events: [ { at: 5, charger: cp, ems: sleepy } ]", "ems is silent"),
            ("events: [ { at: 5, charger: cp, set: { mode: turbo } } ]", "unknown mode"),
            ("events: [ { at: 5, zone: nope, set: { operator_limit: 10 } } ]", "no zone"),
            ("events: [ { at: 5, charger: cp } ]", "needs ems"),
        ] {
            #expect(throws: DataFileError.self, "\(message)") {
                _ = try ScenarioLoader.parse("duration_s: 60\n\(Self.charger)\n\(yaml)", file: "events.yaml")
            }
            do {
                _ = try ScenarioLoader.parse("duration_s: 60\n\(Self.charger)\n\(yaml)", file: "events.yaml")
            } catch {
                #expect(error.description.contains(message) && error.description.contains("events.yaml:"), "\(error.description)")
            }
        }
    }

    /// The sessions the service would record, split by time-of-use period, from a simulated day.
    @Test func sessionsFromSimulationAreTheServicesRecords() throws {
        let (_, summary, simulator) = try run("""
            start: "06:00"
            start_weekday: mon
            duration_s: 43200
            meter_period_s: 2
            load_management:
              time_of_use:
                - { period: peak, percent: 50, slots: [ { time: "08:00-12:00", days: mon-fri } ] }
              zones: [ { id: home, limit_a: 32 } ]
            chargers:
              - id: cp
                zone: home
                min_current: 6
                max_current: 16
                evs:
                  - { arrive: "07:00", leave: "09:00", phases: 3, max_current: 16, capacity_kwh: 100, soc: 0.1, id_tag: ALICE }
                  - { arrive: "13:00", leave: "15:00", phases: 1, max_current: 16, capacity_kwh: 100, soc: 0.1, id_tag: "=BOB" }
            """, at: [], sessions: true)
        let sessions = simulator.sessions
        #expect(sessions.count == 2)
        #expect(sessions.map(\.idTag) == ["ALICE", "=BOB"])
        #expect(sessions.allSatisfy { $0.endedAt != nil && $0.endReason == "unplugged" })
        // 07:00 to 09:00 at 16 A on three phases, then (08:00 on) 50 % of 32 A: both periods got energy
        let first = sessions[0]
        #expect((first.periodEnergy["peak"] ?? 0) > 1000 && (first.periodEnergy[SessionExport.standardPeriod] ?? 0) > 1000)
        for session in sessions {
            #expect(abs(session.periodEnergy.values.reduce(0, +) - session.energyWh) < 2, "periods add up")
            #expect(abs((session.endedAt! - session.startedAt) - 7200) <= 4)
        }
        #expect(abs(sessions.reduce(0) { $0 + $1.energyWh } - summary.evEnergyWh) / summary.evEnergyWh < 0.02)
        let csv = SessionExport.csv(sessions, periods: ["peak", "standard"], timeZone: TimeZone(identifier: "UTC")!)
        #expect(csv.contains("cp,2026-01-05T07:00:00Z,2026-01-05T09:00:00Z,7200"))
        #expect(csv.contains("'=BOB"))                                                 // a formula cell is defused
    }
}
