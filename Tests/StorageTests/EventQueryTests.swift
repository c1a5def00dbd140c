import Foundation
@testable import StorageModel
import Testing

@Suite("Event log queries")
struct EventQueryTests {
    @Test func kindsAreTakenWithDashesOrUnderscores() throws {
        #expect(try EventKind.named("failsafe-entered") == .failsafeEntered)
        #expect(try EventKind.named("failsafe_entered") == .failsafeEntered)
        #expect(try EventKind.named("Meter_Lost") == .meterLost)
    }

    @Test func anUnknownKindListsTheKindsAndTheNearest() {
        let all = "service-started, service-stopped, configuration-loaded, failsafe-entered, failsafe-left, master-connected, "
            + "master-replaced, master-disconnected, meter-lost, meter-recovered, load-shedding-on, load-shedding-off, input-changed, "
            + "setting-changed, charger-offline, charger-online, leader-took-over, leader-released, standby-started, "
            + "zone-setpoint-changed, zone-setpoint-failsafe, tariff-changed, utility-limit, utility-limit-ended, utility-gateway-failsafe, utility-gateway-recovered, g100-limit-exceeded, g100-limit-restored"
        #expect(throws: UnknownEventKind(text: "failsafe_enterd")) { try EventKind.named("failsafe_enterd") }
        #expect(UnknownEventKind(text: "failsafe_enterd").description
            == "unknown event kind \"failsafe_enterd\" (kinds: \(all)); did you mean \"failsafe-entered\"?")
        #expect(UnknownEventKind(text: "reboot").description == "unknown event kind \"reboot\" (kinds: \(all))")
    }

    @Test func sinceTodayAndYesterdayAreLocalMidnights() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Berlin"))
        // 2026-03-30 10:00 in Berlin; yesterday (the 29th, when clocks went forward) was 23 hours long
        let now = Date(timeIntervalSince1970: 1_774_857_600)
        #expect(SinceWord.start("today", now: now, timeZone: zone) == 1_774_821_600)        // 2026-03-30 00:00 +02:00
        #expect(SinceWord.start("Yesterday", now: now, timeZone: zone) == 1_774_738_800)    // 2026-03-29 00:00 +01:00
        #expect(SinceWord.start("12h", now: now, timeZone: zone) == 1_774_814_400)      // 12 hours back
        #expect(SinceWord.start("2026-03-01", now: now, timeZone: zone) == nil)
    }
}
