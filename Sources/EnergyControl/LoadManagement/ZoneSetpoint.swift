/// A zone's limit set by one remote energy manager, with a heartbeat [Schneider EcoStruxure EV
/// Charging Expert user guide §3.11.4: one controller, a minimum period between setpoint updates,
/// a heartbeat period]. Pure: time is a parameter.
///
/// Until a controller sets a limit the zone runs on its configured limits. A controller that stays
/// silent (no setpoint, no heartbeat) for longer than the heartbeat timeout leaves the zone at its
/// failsafe limit until a controller sets a limit again. While one controller is alive, another is
/// refused. The limit never exceeds the zone's own limit (the load manager takes the lower).
public struct ZoneSetpoint: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// Setpoint changes closer together than this are refused, seconds.
        public var minPeriod: Seconds = 60
        /// Silence longer than this puts the zone at `failsafeLimit`, seconds.
        public var heartbeat: Seconds = 600
        /// The limit per phase after the controller went silent, amperes.
        public var failsafeLimit: [Double]

        public init(minPeriod: Seconds = 60, heartbeat: Seconds = 600, failsafeLimit: [Double]) {
            self.minPeriod = minPeriod
            self.heartbeat = heartbeat
            self.failsafeLimit = failsafeLimit
        }
    }

    public enum State: Sendable, Equatable {
        /// No controller yet: the zone's configured limits.
        case local
        /// A controller set `limit` at `changed` and was last heard at `heard`.
        case remote(controller: String, limit: [Double], changed: Seconds, heard: Seconds)
        /// The controller went silent at `since`: the failsafe limit.
        case failsafe(since: Seconds)

        public var name: String {
            switch self {
            case .local: "local"
            case .remote: "remote"
            case .failsafe: "failsafe"
            }
        }
    }

    public let settings: Settings
    /// The zone's own limit per phase: a setpoint above it is refused.
    public let zoneLimit: [Double]
    public private(set) var state: State = .local

    public init(settings: Settings, zoneLimit: [Double]) {
        self.settings = settings
        self.zoneLimit = zoneLimit
    }

    /// The limit per phase in force (nil: the zone's configured limits).
    public var limit: [Double]? {
        switch state {
        case .local: nil
        case .remote(_, let limit, _, _): limit
        case .failsafe: settings.failsafeLimit
        }
    }

    /// The controller that steers now (nil: none alive).
    public var controller: String? {
        if case .remote(let controller, _, _, _) = state { return controller }
        return nil
    }

    /// A new setpoint from `controller`; it counts as a heartbeat. Returns why it was refused (nil:
    /// taken; nothing changes when refused).
    public mutating func set(_ limit: [Double], controller: String, now: Seconds) -> String? {
        guard limit.count == 3, limit.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return "the setpoint must be 0 A or more on each phase" }
        guard zip(limit, zoneLimit).allSatisfy({ $0 <= $1 }) else {
            return "\(Self.text(limit)) A is above the zone's limit of \(Self.text(zoneLimit)) A"
        }
        if case .remote(let current, let old, let changed, _) = state {
            if current != controller { return "zone is steered by \(current); another controller may set it after \(Int(settings.heartbeat)) s of its silence" }
            if old == limit {
                state = .remote(controller: controller, limit: limit, changed: changed, heard: now)
                return nil
            }
            let wait = settings.minPeriod - (now - changed)
            if wait > 0 {
                return "the setpoint changes at most once every \(Int(settings.minPeriod)) s: next change in \(Int(wait.rounded(.up))) s"
            }
        }
        state = .remote(controller: controller, limit: limit, changed: now, heard: now)
        return nil
    }

    /// A heartbeat from `controller` (nil: refused, with why).
    public mutating func heartbeat(controller: String, now: Seconds) -> String? {
        switch state {
        case .remote(let current, let limit, let changed, _):
            guard current == controller else { return "zone is steered by \(current)" }
            state = .remote(controller: controller, limit: limit, changed: changed, heard: now)
            return nil
        case .local, .failsafe:
            return "no setpoint yet: a heartbeat keeps a setpoint alive, it does not make one"
        }
    }

    /// Advances time; true when the zone enters failsafe now.
    @discardableResult
    public mutating func tick(now: Seconds) -> Bool {
        guard case .remote(_, _, _, let heard) = state, now - heard > settings.heartbeat else { return false }
        state = .failsafe(since: now)
        return true
    }

    public static func text(_ limit: [Double]) -> String {
        let parts = limit.map { $0 == $0.rounded() ? String(Int($0)) : String($0) }
        return Set(parts).count == 1 ? parts[0] : parts.joined(separator: "/")
    }
}
