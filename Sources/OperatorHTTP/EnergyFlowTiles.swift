import OperatorStatus

/// The energy-flow summary at the top of the status page: one tile each for the grid, PV, the
/// battery (when there is one), the house and the chargers, with figures and the direction of
/// flow in words and arrows. Pure HTML, no script.
enum EnergyFlowTiles {
    static func render(_ flow: EnergyFlow, fuse: [Double]?) -> String {
        var html = "<section id=\"flow\" aria-label=\"Energy flow\"><h2>Energy flow</h2><div class=\"tiles\">\n"
        html += tile("grid", "Grid", flow.grid, detail: gridDetail(flow, fuse: fuse)) { watts in
            watts >= 0 ? ("↓", "importing") : ("↑", "exporting")
        }
        html += tile("pv", "PV", flow.pv, detail: nil) { watts in ("☀", watts > 0 ? "producing" : "idle") }
        if flow.battery != .noMeter {
            html += tile("battery", "Battery", flow.battery, detail: nil) { watts in
                watts > 0 ? ("↑", "discharging") : watts < 0 ? ("↓", "charging") : ("·", "idle")
            }
        }
        let disagree = flow.houseBelowZeroW.map { "meters disagree: \(kilowatts($0)), shown as 0" }
        html += tile("house", "House", flow.house, detail: disagree, noMeter: "needs a grid meter") { _ in ("⌂", "using") }
        html += tile("chargers", "Chargers", .watts(flow.chargersW),
                     detail: "\(flow.chargersCharging) charging, \(flow.chargersOnline) online") { _ in ("⚡", "charging") }
        return html + "</div></section>\n"
    }

    static func tile(_ id: String, _ name: String, _ figure: EnergyFlow.Figure, detail: String?, noMeter: String = "no meter",
                     direction: (Double) -> (arrow: String, word: String)) -> String {
        let value: String, data: String, note: String
        switch figure {
        case .noMeter: (value, data, note) = (noMeter, "", "")
        case .unavailable: (value, data, note) = ("no reading", "", "meter offline or without power")
        case .watts(let watts):
            let (arrow, word) = direction(watts)
            (value, data, note) = ("<span class=\"arrow\">\(arrow)</span> \(kilowatts(abs(watts)))", " data-watts=\"\(StatusPage.format(watts, 0))\"", word)
        }
        let lines = [note, detail ?? ""].filter { !$0.isEmpty }.map(StatusPage.escape).joined(separator: "<br>")
        return "<div class=\"tile\(data.isEmpty ? " none" : "")\" id=\"flow-\(id)\"\(data)><span class=\"name\">\(name)</span>"
            + "<span class=\"figure\">\(value)</span><span class=\"small\">\(lines)</span></div>\n"
    }

    static func gridDetail(_ flow: EnergyFlow, fuse: [Double]?) -> String? {
        guard let currents = flow.gridCurrents else { return nil }
        let phases = zip(["L1", "L2", "L3"], currents).map { "\($0) \(StatusPage.format($1, 1))" }.joined(separator: " / ")
        return phases + " A" + (fuse?.max().map { " of \(StatusPage.format($0, 0)) A" } ?? "")
    }

    static func kilowatts(_ watts: Double) -> String { "\(StatusPage.format(watts / 1000, 2)) kW" }

    static let style = """
    .tiles{display:flex;flex-wrap:wrap;gap:.6em}.tile{border:1px solid #ccc;border-radius:6px;padding:.5em .8em;min-width:9em;background:#fafafa}
    .tile .name{display:block;font-size:.85em;color:#555}.tile .figure{display:block;font-size:1.45em;font-weight:600;margin:.1em 0}
    .tile.none .figure{font-size:1em;color:#777;font-weight:400}.tile .arrow{color:#0072B2}
    """
}
