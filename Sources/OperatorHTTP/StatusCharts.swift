import Foundation
import OperatorStatus

/// The status page's charts over the last hour or day: grid current per phase against the fuse,
/// the site's power, and each charger's current. Pure: the history in, HTML with inline SVG out.
enum StatusCharts {
    /// Up to this many chargers share one chart; more get a small chart each.
    static let sharedChartLimit = 7
    static let powerUnit = "kW"

    static func render(_ status: SiteStatus, range: HistoryRange) -> String {
        var html = "<h2>Charts</h2>\n<p class=\"ranges\">" + HistoryRange.allCases.map { other in
            other == range ? "<b aria-current=\"page\">\(other.title)</b>" : "<a href=\"/?range=\(other.rawValue)\">\(other.title)</a>"
        }.joined(separator: " · ") + "</p>\n"
        guard let history = status.history else { return html + "<p class=\"small\">No history is kept.</p>\n" }
        let samples = history.samples(range)
        guard let end = history.newest, !samples.isEmpty else {
            return html + "<p class=\"small\" id=\"charts-waiting\">Collecting: a sample every \(StatusPage.format(history.period, 0)) s.</p>\n"
        }
        var base = LineChart(id: "", title: "", unit: "A", times: samples.map(\.time), series: [], start: end - range.seconds, end: end,
                             gap: history.gapAfter(range), timeZone: status.timeZone)
        html += "<section id=\"charts\" data-range=\"\(range.rawValue)\" data-samples=\"\(samples.count)\">\n"
        html += grid(samples, base: base, range: range, fuse: status.fuseLimit)
        base.unit = powerUnit
        html += power(samples, base: base, range: range)
        base.unit = "A"
        html += chargers(samples, base: base, range: range, history: history)
        return html + "</section>\n"
    }

    static func grid(_ samples: [HistorySample], base: LineChart, range: HistoryRange, fuse: [Double]?) -> String {
        let phases: [(String, KeyPath<HistorySample.Phases, Float>)] = [("L1", \.l1), ("L2", \.l2), ("L3", \.l3)]
        var series = phases.enumerated().map { index, phase in
            LineChart.Series(label: range == .day ? "\(phase.0) mean" : phase.0, values: samples.map { $0.gridCurrent[keyPath: phase.1] },
                             style: "s\(index)")
        }
        if range == .day {
            series += phases.enumerated().map { index, phase in
                LineChart.Series(label: "\(phase.0) highest", values: samples.map { $0.gridCurrentMax[keyPath: phase.1] }, style: "s\(index) d2")
            }
        }
        guard series.contains(where: { $0.values.contains(where: \.isFinite) }) else {
            return "<p class=\"small\" id=\"chart-grid-none\">No grid currents: the grid chart needs a grid meter with currents.</p>\n"
        }
        var chart = base
        chart.id = "chart-grid"
        chart.series = series
        let limit = fuse?.max()
        chart.title = "Grid current per phase, \(range.title)" + (limit.map { ", against the \(StatusPage.format($0, 0)) A fuse" } ?? "")
        chart.reference = limit.map { .init(value: $0, label: "fuse \(StatusPage.format($0, 0)) A", style: "fuse") }
        let fuseKey = limit == nil ? [] : [LineChart.Series(label: "fuse", values: [], style: "fuse")]
        return figure(chart, legend: series + fuseKey)
    }

    static func power(_ samples: [HistorySample], base: LineChart, range: HistoryRange) -> String {
        let quantities: [(String, KeyPath<HistorySample, Float>, String)] = [
            ("grid (+ import)", \.gridW, "s0"), ("PV", \.pvW, "s1"), ("chargers", \.chargersW, "s2"),
            ("battery (+ discharge)", \.batteryW, "s3"), ("house", \.houseW, "s4 d1"),
        ]
        let series = quantities.map { label, path, style in
            LineChart.Series(label: label, values: samples.map { $0[keyPath: path] / 1000 }, style: style)
        }.filter { $0.label == "chargers" || $0.values.contains(where: \.isFinite) }
        var chart = base
        chart.id = "chart-power"
        chart.title = "Power, \(range.title)"
        chart.series = series
        return figure(chart, legend: series)
    }

    static func chargers(_ samples: [HistorySample], base: LineChart, range: HistoryRange, history: SiteHistory) -> String {
        let total = LineChart.Series(label: "all chargers", values: samples.map(\.chargersCurrent), style: "s6 wide")
        let each = history.chargerIDs.enumerated().map { index, id in
            LineChart.Series(label: id, values: samples.map { index < $0.chargerCurrents.count ? $0.chargerCurrents[index] : .nan },
                             style: style(index))
        }
        var chart = base
        chart.id = "chart-chargers"
        chart.title = "Charger current (highest phase), \(range.title)"
        guard each.count > sharedChartLimit else {
            chart.series = [total] + each
            return figure(chart, legend: chart.series)
        }
        chart.series = [total]
        var html = figure(chart, legend: [total])
        let top = each.flatMap { $0.values.filter(\.isFinite) }.max().map(Double.init) ?? 1
        let shown = history.chargerCount > each.count ? " (the first \(each.count) of \(history.chargerCount))" : ""
        html += "<h3>Each charger\(shown)</h3>\n<div class=\"multiples\">\n"
        for (index, series) in each.enumerated() {
            var small = base
            small.id = "chart-charger-\(index + 1)"
            small.title = "\(series.label): current, \(range.title)"
            small.series = [LineChart.Series(label: series.label, values: series.values, style: "s0")]
            small.width = 240
            small.height = 90
            small.compact = true
            small.top = max(top, 1)
            small.fixedTop = true
            html += "<figure class=\"small-multiple\">\(small.svg())<figcaption>\(StatusPage.escape(series.label))</figcaption></figure>\n"
        }
        return html + "</div>\n"
    }

    /// Colours from the Okabe–Ito palette (told apart with colour blindness); past seven, dashes too.
    static func style(_ index: Int) -> String {
        let colours = [0, 1, 2, 3, 4, 5, 7]
        let dash = index / colours.count % 3
        return "s\(colours[index % colours.count])" + (dash == 0 ? "" : " d\(dash)")
    }

    static func figure(_ chart: LineChart, legend: [LineChart.Series]) -> String {
        let keys = legend.map { "<li><span class=\"key \($0.style)\"></span>\(StatusPage.escape($0.label))</li>" }.joined()
        return "<figure>\(chart.svg())<figcaption><ul class=\"legend\">\(keys)</ul></figcaption></figure>\n"
    }

    /// The charts' colours and dashes; `key` is a legend's sample of a line.
    static let style = """
    svg.chart{display:block;font-size:11px;background:#fff}svg.chart polyline{fill:none;stroke-width:1.6;stroke-linecap:round;stroke-linejoin:round}
    .axis line{stroke:#e4e4e4}.axis line.zero{stroke:#999}.axis text,.reflabel{fill:#555}
    .ref{stroke-width:1.5}.fuse{stroke:#D55E00;border-color:#D55E00;stroke-dasharray:8 4;border-top-style:dashed!important}
    .s0{stroke:#0072B2;border-color:#0072B2}.s1{stroke:#E69F00;border-color:#E69F00}.s2{stroke:#009E73;border-color:#009E73}
    .s3{stroke:#CC79A7;border-color:#CC79A7}.s4{stroke:#56B4E9;border-color:#56B4E9}.s5{stroke:#D55E00;border-color:#D55E00}
    .s6{stroke:#000;border-color:#000}.s7{stroke:#B8A400;border-color:#B8A400}
    .d1{stroke-dasharray:6 3;border-top-style:dashed!important}.d2{stroke-dasharray:1.5 3;border-top-style:dotted!important}
    svg.chart polyline.wide{stroke-width:2.6}
    figure{margin:.4em 0 1em}ul.legend{list-style:none;padding:0;margin:.2em 0;display:flex;flex-wrap:wrap;gap:.3em 1.1em;font-size:.85em}
    .key{display:inline-block;width:18px;border-top-width:3px;border-top-style:solid;margin-right:.35em;vertical-align:middle}
    .multiples{display:flex;flex-wrap:wrap;gap:.2em 1em}.small-multiple{margin:0}.small-multiple figcaption{font-size:.8em}
    """
}
