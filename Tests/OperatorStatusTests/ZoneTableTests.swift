import Foundation
import OperatorHTTP
import OperatorStatus
import Testing

/// The zones table's per-phase view (Circontrol DLM §7.3.2, §7.4.2): charging of the plugs that
/// want current per phase, the other loads, and who pauses or resumes next — escaped.
@Suite("Status page zones")
struct ZoneTableTests {
    @Test func eachZoneShowsItsPhasesAndWhoIsNext() {
        var zone = SiteStatus.Zone(id: "garage", mode: "dynamic", limit: [32, 32, 32], available: [20, 20, 20], allocated: [18, 12, 12])
        zone.plugs = [4, 3, 3]
        zone.charging = [3, 2, 2]
        zone.buildingLoad = [12.5, 8, 9.25]
        zone.nextToPause = "cp<3>"
        zone.nextToResume = "cp4"
        var status = Fixture.status(chargers: [])
        status.zones = [zone, SiteStatus.Zone(id: "site", mode: "static", limit: [], available: [40, 40, 40], allocated: [0, 0, 0])]
        let html = StatusPage.render(status, refreshSeconds: 5, version: "test", range: .hour)
        let row = html.components(separatedBy: "<tr id=\"zone-garage\">").last?.components(separatedBy: "</tr>").first ?? ""
        #expect(row.contains("<td class=\"phases\">3/4 · 2/3 · 2/3</td>"), "\(row)")
        #expect(row.contains("<td>12.5 / 8.0 / 9.2 A</td>") || row.contains("<td>12.5 / 8.0 / 9.3 A</td>"), "\(row)")
        #expect(row.contains("<td>cp&lt;3&gt;</td><td>cp4</td>"), "\(row)")
        let site = html.components(separatedBy: "<tr id=\"zone-site\">").last?.components(separatedBy: "</tr>").first ?? ""
        #expect(site.hasSuffix("<td>—</td><td>—</td><td>—</td>"), "\(site)")
    }

    @Test func theUtilitysSignalsAreShownOnlyWhenThereAreAny() {
        var status = Fixture.status(chargers: [])
        #expect(!StatusPage.render(status, refreshSeconds: 5, version: "test", range: .hour).contains("id=\"signals\""))
        (status.utilityLimitW, status.offPeak, status.tariff, status.price) = (7560, true, 1, 0.2512)
        let html = StatusPage.render(status, refreshSeconds: 5, version: "test", range: .hour)
        #expect(html.contains("<p class=\"small\" id=\"signals\"><span class=\"warn\">utility limit 7.56 kW on the chargers</span> · off-peak · tariff 1 · price 0.2512 per kWh</p>"))
    }

    @Test func aGatewaysFailsafeIsShownWithItsReasonEscaped() {
        var status = Fixture.status(chargers: [])
        (status.utilityLimitW, status.utilityGatewayFailsafe) = (4200, "the limit register holds <65534>, not a power")
        let html = StatusPage.render(status, refreshSeconds: 5, version: "test", range: .hour)
        #expect(html.contains("<span class=\"warn\">utility gateway failsafe: the limit register holds &lt;65534&gt;, not a power</span>"), "\(html)")
    }
}
