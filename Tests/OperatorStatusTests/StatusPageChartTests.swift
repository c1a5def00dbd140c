import Foundation
import OperatorHTTP
import OperatorStatus
import Testing

/// The status page's energy flow and charts, checked on the HTML string the server sends.
@Suite("Status page charts")
struct StatusPageChartTests {
    /// An hour of samples every 10 s ending at 11:00 UTC, values alternating `low` and `high` (no
    /// two neighbours alike, so no point is thinned away).
    static func history(chargers ids: [String], low: Float = 5, high: Float = 10, samples: Int = 360) -> SiteHistory {
        var history = SiteHistory(period: 10, chargerIDs: ids)
        for step in 0..<samples {
            let time = Fixture.morning + 3_600 - Double(samples - 1 - step) * 10
            history.record(Fixture.sample(at: time, step % 2 == 0 ? low : high, chargers: history.chargerIDs.count))
        }
        return history
    }

    static func page(_ status: SiteStatus, _ range: HistoryRange = .hour) -> String {
        StatusPage.render(status, refreshSeconds: 5, version: "test", range: range)
    }

    /// The `<svg id="…">…</svg>` element of a chart.
    static func chart(_ id: String, in html: String) throws -> String {
        let start = try #require(html.range(of: "<svg id=\"\(id)\""), "no chart \(id)")
        let end = try #require(html.range(of: "</svg>", range: start.upperBound..<html.endIndex))
        return String(html[start.lowerBound..<end.upperBound])
    }

    /// Each polyline of a class: its points as (x, y).
    static func polylines(_ style: String, in svg: String) -> [[(Int, Int)]] {
        svg.matches(of: try! Regex("<polyline class=\"\(style)\" points=\"([^\"]*)\"/>")).map { match in
            (match.output[1].substring ?? "").split(separator: " ").map { pair in
                let parts = pair.split(separator: ",").compactMap { Int($0) }
                return (parts[0], parts[1])
            }
        }
    }

    @Test func everySampleOfAnHourIsAPointOfItsLine() throws {
        let status = Fixture.status(chargers: [Fixture.charger("a"), Fixture.charger("b")],
                                    meters: [Fixture.meter("grid", role: "grid", power: 1_000, currents: [10, 9, 8])],
                                    history: Self.history(chargers: ["a", "b"]), fuse: [25, 25, 25])
        let html = Self.page(status)
        let grid = try Self.chart("chart-grid", in: html)
        let lines = Self.polylines("s0", in: grid)
        #expect(lines.count == 1 && lines[0].count == 360, "\(lines.map(\.count))")
        #expect(Set(lines[0].map(\.0)).count == 360, "one x per sample")
        // the axis runs 0…30 A over y 200…8 (fuse 25 A, steps of 10): 10 A at y 136, the fuse at y 40
        #expect(Set(lines[0].map(\.1)) == [136, 168])
        let fuse = try #require(grid.firstMatch(of: /<line class="ref fuse" x1="(\d+)" x2="(\d+)" y1="(\d+)" y2="(\d+)" data-value="25.0"\/>/))
        #expect(Int(fuse.output.3) == 40 && Int(fuse.output.4) == 40 && Int(fuse.output.1) == 48 && Int(fuse.output.2) == 712)
        #expect(grid.contains("fuse 25 A"))
        // the time axis: local (UTC here) times every 10 min; 10:00 and 11:00 are the edges, ticks without labels
        #expect(grid.contains(">10:10</text>") && grid.contains(">10:30</text>") && grid.contains(">10:50</text>"))
        #expect(!grid.contains(">10:00</text>") && !grid.contains(">11:00</text>"))
        #expect(grid.components(separatedBy: "y1=\"8\" y2=\"200\"/>").count - 1 == 7, "seven ticks, 10:00 to 11:00")
        #expect(try Self.chart("chart-chargers", in: html).contains("polyline class=\"s6 wide\""), "the all-chargers line")
        #expect(Self.polylines("s1", in: try Self.chart("chart-chargers", in: html)).first?.count == 360, "charger b's line")
    }

    @Test func everyChartHasATitleAndALabelAndAFixedSize() {
        let ids = (1...12).map { "cp\($0)" }
        let html = Self.page(Fixture.status(chargers: ids.map { Fixture.charger($0) }, history: Self.history(chargers: ids)))
        let svgs = html.matches(of: /<svg id="[^"]+" class="chart" viewBox="0 0 (\d+) (\d+)" width="(\d+)" height="(\d+)" role="img" aria-label="[^"]+"><title>[^<]+<\/title>/)
        #expect(svgs.count == html.components(separatedBy: "<svg").count - 1 && svgs.count == 3 + 12, "grid, power, all chargers, 12 small charts")
        #expect(svgs.allSatisfy { $0.output.1 == $0.output.3 && $0.output.2 == $0.output.4 })
        #expect(!html.contains("<script"), "no script")
    }

    @Test func aGapOrAnAbsentValueEndsTheLineAndIsNotDrawnAsZero() throws {
        var history = SiteHistory(period: 10, chargerIDs: ["a"])
        for step in 0..<60 where !(20..<40).contains(step) {   // 200 s without samples
            var sample = Fixture.sample(at: Fixture.morning + Double(step) * 10, step % 2 == 0 ? 4 : 8, chargers: 1)
            if step == 50 { sample.gridCurrent.l1 = .nan }
            history.record(sample)
        }
        let html = Self.page(Fixture.status(chargers: [Fixture.charger("a")], meters: [Fixture.meter("grid", role: "grid", power: 0)],
                                            history: history))
        let lines = Self.polylines("s0", in: try Self.chart("chart-grid", in: html))
        #expect(lines.map(\.count) == [20, 10, 9], "\(lines.map(\.count))")
        let zero = try #require(try Self.chart("chart-grid", in: html).firstMatch(of: /<line x1="48" x2="712" y1="(\d+)" y2="\d+" class="zero"\/>/))
        #expect(!lines.joined().contains { $0.1 == Int(zero.output.1) }, "nothing at 0 A")
        // a lone sample between two gaps is still a dot
        var lone = SiteHistory(period: 10, chargerIDs: [])
        lone.record(Fixture.sample(at: Fixture.morning, 3, chargers: 0))
        let dot = Self.polylines("s0", in: try Self.chart("chart-power", in: Self.page(Fixture.status(chargers: [], history: lone))))
        #expect(dot.count == 1 && dot[0].count == 2 && dot[0][0] == dot[0][1])
    }

    @Test func flatStretchesAreThinnedToTheirEnds() throws {
        var history = SiteHistory(period: 10, chargerIDs: ["a"])
        for step in 0..<360 { history.record(Fixture.sample(at: Fixture.morning + Double(step) * 10, step < 180 ? 6 : 16, chargers: 1)) }
        let html = Self.page(Fixture.status(chargers: [Fixture.charger("a")], history: history))
        let line = Self.polylines("s0", in: try Self.chart("chart-chargers", in: html))
        #expect(line.map(\.count) == [4], "two flat runs: their ends")
    }

    @Test func chargerIdsAreEscapedEverywhere() throws {
        let ids = ["<script>alert(1)</script>", "a\"b&c", "d'e"]
        let status = Fixture.status(chargers: ids.map { Fixture.charger($0, powerW: 1_000, currents: [5, 5, 5]) }, history: Self.history(chargers: ids))
        let html = Self.page(status)
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;</li>"), "the legend")
        #expect(html.contains("a&quot;b&amp;c</li>") && html.contains("d&#39;e</li>"))
        // small charts carry the id in their title and label
        let many = (1...9).map { "<b>cp\($0)" }
        let multiples = Self.page(Fixture.status(chargers: many.map { Fixture.charger($0) }, history: Self.history(chargers: many)))
        #expect(!multiples.contains("<b>") && multiples.contains("aria-label=\"&lt;b&gt;cp9: current, last hour (A)\""))
        #expect(multiples.contains("<figcaption>&lt;b&gt;cp1</figcaption>"))
    }

    @Test func tilesSayNoMeterAndShowTheFlow() throws {
        var site = Fixture.status(chargers: [Fixture.charger("a", powerW: 3_700, currents: [16, 0, 0])])
        var history = SiteHistory(period: 10, chargerIDs: ["a"])
        for step in 0..<3 { history.record(HistorySample.of(site, time: Fixture.morning + Double(step) * 10)) }
        site.history = history
        let bare = Self.page(site)
        for (tile, text) in [("grid", "no meter"), ("pv", "no meter"), ("house", "needs a grid meter")] {
            let element = try #require(bare.firstMatch(of: try Regex("<div class=\"tile none\" id=\"flow-\(tile)\">(.*?)</div>")), "\(tile)")
            #expect((element.output[1].substring ?? "").contains(text), "\(tile): \(element.output[0].substring ?? "")")
        }
        #expect(!bare.contains("id=\"flow-battery\""), "no battery, no tile")
        #expect(bare.contains("id=\"flow-chargers\" data-watts=\"3700\"") && bare.contains("3.70 kW"))
        #expect(bare.contains("id=\"chart-grid-none\""), "no grid chart without a grid meter")

        let full = Self.page(Fixture.status(chargers: [Fixture.charger("a", powerW: 7_000)],
                                            meters: [Fixture.meter("grid", role: "grid", power: -1_500, currents: [3, 2, 1]),
                                                     Fixture.meter("pv", role: "pv", power: -9_000), Fixture.meter("bat", role: "battery", power: 500)],
                                            fuse: [25, 25, 25]))
        #expect(full.contains("id=\"flow-grid\" data-watts=\"-1500\"") && full.contains("↑</span> 1.50 kW") && full.contains("exporting"))
        #expect(full.contains("L1 3.0 / L2 2.0 / L3 1.0 A of 25 A"))
        #expect(full.contains("id=\"flow-pv\" data-watts=\"9000\"") && full.contains("id=\"flow-battery\" data-watts=\"500\"") && full.contains("discharging"))
        #expect(full.contains("id=\"flow-house\" data-watts=\"1000\""), "−1.5 + 9 + 0.5 − 7 kW")
        #expect(full.contains("No history is kept."))

        let disagree = Self.page(Fixture.status(chargers: [Fixture.charger("a", powerW: 7_000)],
                                                meters: [Fixture.meter("grid", role: "grid", power: 1_000)]))
        #expect(disagree.contains("id=\"flow-house\" data-watts=\"0\"") && disagree.contains("meters disagree: -6.00 kW, shown as 0"))
    }

    @Test func theDayShowsMinutesWithTheirHighestGridCurrentAndLinksTheHour() throws {
        var history = SiteHistory(period: 10, chargerIDs: ["a"])
        for step in 0..<(6 * 60 * 3) { history.record(Fixture.sample(at: Fixture.morning + Double(step) * 10, Float(step % 7), chargers: 1)) }
        let html = Self.page(Fixture.status(chargers: [Fixture.charger("a")], meters: [Fixture.meter("grid", role: "grid", power: 0)],
                                            history: history), .day)
        #expect(html.contains("<section id=\"charts\" data-range=\"day\" data-samples=\"180\">"))
        #expect(html.contains("<a href=\"/?range=hour\">last hour</a>") && html.contains("<b aria-current=\"page\">last 24 h</b>"))
        let grid = try Self.chart("chart-grid", in: html)
        #expect(grid.contains("last 24 h") && html.contains("L1 highest</li>"))
        #expect(Self.polylines("s0 d2", in: grid).first?.count ?? 0 > 0, "the highest current per minute")
        #expect(grid.contains(">00:00</text>") && grid.contains(">12:00</text>"), "ticks every 3 h")
        let hour = Self.page(Fixture.status(chargers: [], history: history))
        #expect(hour.contains("<a href=\"/?range=day\">last 24 h</a>"))
    }

    @Test func beforeTheFirstSampleThePageSaysItIsCollecting() {
        let html = Self.page(Fixture.status(chargers: [Fixture.charger("a")], history: SiteHistory(period: 10, chargerIDs: ["a"])))
        #expect(html.contains("Collecting: a sample every 10 s."))
    }

    @Test func beyondFiftyChargersTheFirstFiftyHaveCharts() {
        let ids = (1...60).map { "cp\($0)" }
        let html = Self.page(Fixture.status(chargers: ids.map { Fixture.charger($0) }, history: Self.history(chargers: ids)))
        #expect(html.contains("Each charger (the first 50 of 60)"))
        #expect(html.contains("id=\"chart-charger-50\"") && !html.contains("id=\"chart-charger-51\""))
    }
}
