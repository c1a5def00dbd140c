/// With a grid meter and a PV meter, the PV meter checks the grid meter: the site cannot export
/// more than it produces and discharges. A grid meter that says so for a while is likely wired or
/// signed wrongly (or the PV meter is); this is said, rate-limited. It changes no control. Pure.
public struct MeterCrossCheck: Sendable, Equatable {
    /// The condition must hold this long (the meters are not read at the same instant)…
    public static let persistence: Seconds = 30
    /// …and is said again at most this often.
    public static let repeatAfter: Seconds = 900
    /// Export may exceed production + discharge by the larger of these before it counts.
    public static let toleranceW = 300.0
    public static let tolerancePercent = 10.0

    private var since: Seconds?
    private var lastSaid: Seconds?

    public init() {}

    /// The warning to log now, if any; readings are nil when unknown (then nothing is judged).
    public mutating func observe(grid: GridSample?, pv: PowerSample?, battery: PowerSample?, now: Seconds) -> String? {
        guard let grid, let pv else {
            since = nil
            return nil
        }
        let export = -grid.power
        let production = max(0, pv.watts), discharge = max(0, battery?.watts ?? 0)
        let allowed = production + discharge + max(Self.toleranceW, production * Self.tolerancePercent / 100)
        guard export > allowed else {
            since = nil
            return nil
        }
        let start = since ?? now
        since = start
        guard now - start >= Self.persistence, lastSaid.map({ now - $0 >= Self.repeatAfter }) ?? true else { return nil }
        lastSaid = now
        let battery = battery == nil ? "" : " + battery discharge \(Int(discharge)) W"
        return "the grid meter shows \(Int(export)) W of export, more than PV production \(Int(production)) W\(battery) for \(Int(now - start)) s: "
            + "check both meters' wiring and signs (control keeps following the grid meter)"
    }
}
