import Foundation
import OperatorHTTP
import OperatorStatus
import Testing

/// The chargers table's row notes.
@Suite("Status page charger rows")
struct ChargerRowTests {
    static func row(_ id: String, in html: String) -> String {
        html.components(separatedBy: "<tr id=\"charger-\(id)\"").last?.components(separatedBy: "</tr>").first ?? ""
    }

    @Test func aChargePointThatTakesNoLimitIsMarkedNotSteerable() {
        var refusing = Fixture.charger("cp1")
        refusing.steerable = false
        let html = StatusPage.render(Fixture.status(chargers: [refusing, Fixture.charger("cp2")]), refreshSeconds: 5, version: "test", range: .hour)
        #expect(Self.row("cp1", in: html).contains(">not steerable</span>"), "\(Self.row("cp1", in: html))")
        #expect(!Self.row("cp2", in: html).contains("not steerable"))
    }
}
