import Foundation

/// One SVG line chart over time, server-rendered: fixed size, axes in the site's local time, a
/// `<title>` and an `aria-label`, and each series as polylines with whole-pixel coordinates
/// (a gap in the samples or an absent value ends a polyline; nothing is drawn as zero). Pure.
struct LineChart {
    struct Series {
        var label: String
        /// Values aligned with the chart's times; NaN: absent.
        var values: [Float]
        /// The colour and dash classes (`s0`…`s7`, `d1`, `d2`, `wide`).
        var style: String
    }

    /// A horizontal line such as the fuse.
    struct Reference {
        var value: Double
        var label: String
        var style: String
    }

    var id: String
    var title: String
    var unit: String
    var width = 720
    var height = 220
    var times: [Double]
    var series: [Series]
    var start: Double
    var end: Double
    /// Samples further apart are not joined.
    var gap: Double
    var reference: Reference?
    var timeZone: TimeZone
    /// The y axis reaches at least this high (and exactly this with `fixedTop`).
    var top: Double = 1
    var fixedTop = false
    /// Show the axes' labels (small multiples show fewer).
    var compact = false

    var plotLeft: Int { compact ? 30 : 48 }
    var plotRight: Int { width - 8 }
    var plotTop: Int { 8 }
    var plotBottom: Int { height - (compact ? 16 : 20) }

    /// The y axis: from at most 0 to at least `top`, in steps of 1, 2 or 5 × 10ⁿ.
    func axis() -> (low: Double, high: Double, step: Double) {
        var low = 0.0, high = top
        if !fixedTop {
            for item in series { for value in item.values where value.isFinite { low = min(low, Double(value)); high = max(high, Double(value)) } }
            if let reference { high = max(high, reference.value) }
        }
        let step = Self.niceStep((high - low) / (compact ? 2 : 4))
        return ((low / step).rounded(.down) * step, (high / step).rounded(.up) * step, step)
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    }

    func y(_ value: Double, _ axis: (low: Double, high: Double, step: Double)) -> Int {
        let span = axis.high - axis.low
        return plotTop + Int(((axis.high - value) / (span > 0 ? span : 1) * Double(plotBottom - plotTop)).rounded())
    }

    func x(_ time: Double) -> Int {
        plotLeft + Int(((time - start) / max(end - start, 1) * Double(plotRight - plotLeft)).rounded())
    }

    func svg() -> String {
        let axis = axis()
        let label = "\(title) (\(unit))"
        var out = "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" "
            + "aria-label=\"\(StatusPage.escape(label))\"><title>\(StatusPage.escape(label))</title>\n"
        out += yGrid(axis) + xGrid()
        if let reference {
            let line = y(reference.value, axis)
            out += "<line class=\"ref \(reference.style)\" x1=\"\(plotLeft)\" x2=\"\(plotRight)\" y1=\"\(line)\" y2=\"\(line)\" "
                + "data-value=\"\(StatusPage.format(reference.value, 1))\"/><text class=\"reflabel\" x=\"\(plotRight - 2)\" y=\"\(line - 3)\" "
                + "text-anchor=\"end\">\(StatusPage.escape(reference.label))</text>\n"
        }
        let xs = times.map(x)
        for item in series {
            out += polylines(item, xs: xs, axis: axis)
        }
        return out + "</svg>"
    }

    func yGrid(_ axis: (low: Double, high: Double, step: Double)) -> String {
        var out = "<g class=\"axis\">"
        var value = axis.low
        let decimals = axis.step < 1 ? 1 : 0
        while value <= axis.high + axis.step / 2 {
            let line = y(value, axis)
            out += "<line x1=\"\(plotLeft)\" x2=\"\(plotRight)\" y1=\"\(line)\" y2=\"\(line)\"\(value == 0 ? " class=\"zero\"" : "")/>"
                + "<text x=\"\(plotLeft - 4)\" y=\"\(line + 4)\" text-anchor=\"end\">\(StatusPage.format(value, decimals))\(compact ? "" : " " + unit)</text>"
            value += axis.step
        }
        return out + "</g>\n"
    }

    /// Ticks on whole local times: every 10 min over an hour, every 3 h over a day (fewer when compact).
    func xGrid() -> String {
        let span = end - start
        let step = (span <= 3_600 ? 600.0 : 10_800.0) * (compact ? 2 : 1)
        var out = "<g class=\"axis\">"
        let offset = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: end)))
        var local = ((start + offset) / step).rounded(.up) * step
        while local <= end + offset {
            let at = x(local - offset)
            let seconds = Int(local.truncatingRemainder(dividingBy: 86_400) + 86_400) % 86_400
            out += "<line x1=\"\(at)\" x2=\"\(at)\" y1=\"\(plotTop)\" y2=\"\(plotBottom)\"/>"
            // a label at an edge would run into the y axis's labels or off the chart
            if at > plotLeft + 16, at < plotRight - 16 {
                out += "<text x=\"\(at)\" y=\"\(plotBottom + 13)\" text-anchor=\"middle\">\(String(format: "%02d:%02d", seconds / 3_600, seconds / 60 % 60))</text>"
            }
            local += step
        }
        return out + "</g>\n"
    }

    /// A series as polylines: one per run of joined samples.
    func polylines(_ item: Series, xs: [Int], axis: (low: Double, high: Double, step: Double)) -> String {
        var out = ""
        var run: [(Int, Int)] = []
        var previous: Double?
        func flush() {
            guard !run.isEmpty else { return }
            let points = Self.thin(run)
            // a lone sample still shows: a zero-length line with round caps is a dot
            let text = (points.count == 1 ? points + points : points).map { "\($0.0),\($0.1)" }.joined(separator: " ")
            out += "<polyline class=\"\(item.style)\" points=\"\(text)\"/>\n"
            run.removeAll(keepingCapacity: true)
        }
        for (index, time) in times.enumerated() where time >= start && time <= end {
            let value = index < item.values.count ? item.values[index] : .nan
            guard value.isFinite else { flush(); previous = nil; continue }
            if let previous, time - previous > gap { flush() }
            run.append((xs[index], y(Double(value), axis)))
            previous = time
        }
        flush()
        return out
    }

    /// Fewer points, the same picture: in each pixel column only its lowest and highest point, and
    /// of a horizontal run only its ends.
    static func thin(_ points: [(Int, Int)]) -> [(Int, Int)] {
        var columns: [(Int, Int)] = []
        columns.reserveCapacity(points.count)
        var index = 0
        while index < points.count {
            var end = index
            while end + 1 < points.count, points[end + 1].0 == points[index].0 { end += 1 }
            if end - index < 2 {
                columns.append(contentsOf: points[index...end])
            } else {
                let column = points[index...end]
                let low = column.indices.min { column[$0].1 < column[$1].1 } ?? index
                let high = column.indices.max { column[$0].1 < column[$1].1 } ?? index
                for kept in [min(low, high), max(low, high)] where columns.last.map({ $0 != points[kept] }) ?? true { columns.append(points[kept]) }
            }
            index = end + 1
        }
        var kept: [(Int, Int)] = []
        kept.reserveCapacity(columns.count)
        for (offset, point) in columns.enumerated() {
            if let last = kept.last, last == point { continue }
            if offset > 0, offset + 1 < columns.count, columns[offset - 1].1 == point.1, columns[offset + 1].1 == point.1 { continue }
            kept.append(point)
        }
        return kept
    }
}
