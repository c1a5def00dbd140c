import EnergyControl
import StorageModel

/// A line for the service's log, produced by the core as a value (logged after the lock is released).
public struct CoreLog: Sendable, Equatable {
    public enum Level: Sendable, Equatable { case info, notice, warning }
    public var level: Level
    public var message: String
    /// The charger it is about (log metadata), nil for the site.
    public var charger: String?

    public init(_ level: Level, _ message: String, charger: String? = nil) {
        self.level = level
        self.message = message
        self.charger = charger
    }
}

/// What the northbound views (faces, MQTT, status lines) show of one charger.
public struct ChargerView: Sendable, Equatable {
    public var status = ChargerStatus()
    public var decision = SetpointDecision(amperes: 0, reason: .failsafe)
    /// The EMS request in force: its charging current while alive, else the failsafe current.
    public var request: Int
    public var failsafe = true
    /// The failsafe current, failsafe timeout, charging current and enable as the master left them.
    public var failsafeCurrent: Int
    public var failsafeTimeout: Int
    public var chargingCurrent: Int
    public var masterEnabled = true
    /// Phases the master asked for (nil: none asked).
    public var requestedPhases: Int?
    /// How often the charger entered failsafe (its master is dropped when it does).
    public var failsafeEntries = 0
    public var mode: ChargeMode
    public var currentLimit: Int?
    public var enabled = true
    public var forced = false
    /// The charging plan in force (nil: none).
    public var plan: ChargePlan?
    /// When a random start delay lets it start (Unix seconds; nil: none running) — Vestel EVC08 §17.
    public var startAt: Double?
    /// Grows with every change of the core's views: a face shows a view only if it is newer than
    /// the one it shows (a step and an EMS write may hand theirs over in either order).
    public var revision: UInt64 = 0

    public init(request: Int, failsafeCurrent: Int, failsafeTimeout: Int, chargingCurrent: Int, mode: ChargeMode) {
        self.request = request
        self.failsafeCurrent = failsafeCurrent
        self.failsafeTimeout = failsafeTimeout
        self.chargingCurrent = chargingCurrent
        self.mode = mode
    }
}

/// What the northbound views show of the site, taken in one lock.
public struct ControlView: Sendable {
    public var grid: GridSample?
    public var meterOnline: Bool?
    public var inputs: SiteInputs
    /// Debounced value of every readable input by id (true = active; for `enable`, true = charging allowed).
    public var inputValues: [String: Bool]
    public var chargers: [ChargerView]
    public var zones: [ZoneReport]
    public var operatorLimits: [String: [Double]]
    /// The remote setpoints of the zones that take one, by zone id.
    public var zoneSetpoints: [String: ZoneSetpoint] = [:]
    /// Off-peak now by the site's rule (the clock windows or the meter's tariff); nil: no rule.
    public var offPeak: Bool?
    /// The utility's power limit on the chargers in force (after the §14a floor), watts; nil: none.
    public var utilityLimitW: Double?
    /// The price of the slot in force (nil: no price series covers now).
    public var price: Double?
    /// The site's limit per phase at the last step (the fuse, a kW limit at the grid meter's voltages); nil: none.
    public var fuseLimit: [Double]?
    /// The utility gateway's state: nil without one, "" while its limit is followed, else why its
    /// failsafe limit holds.
    public var utilityGatewayFailsafe: String? = nil
}

/// What one charger should be told after a step.
public struct ChargerEffect: Sendable, Equatable {
    public var decision: SetpointDecision
    /// A phase count to select (nil: leave as it is).
    public var phases: Int?
    /// A new failsafe current to push into the charger's own watchdog (nil: unchanged).
    public var pushFailsafe: (current: Int, timeout: Seconds)?

    public static func == (a: ChargerEffect, b: ChargerEffect) -> Bool {
        a.decision == b.decision && a.phases == b.phases && a.pushFailsafe?.current == b.pushFailsafe?.current
            && a.pushFailsafe?.timeout == b.pushFailsafe?.timeout
    }
}

/// Everything a step decided, as values: the caller carries it out after releasing its lock.
public struct StepResult: Sendable {
    /// Per charger, in configuration order (empty when the core is stopped).
    public var chargers: [ChargerEffect] = []
    public var logs: [CoreLog] = []
    public var storage: [StorageChange] = []
}

/// What a change outside a step (an input read, an EMS write, a command) leaves to carry out.
public struct Effects: Sendable {
    public var logs: [CoreLog] = []
    public var storage: [StorageChange] = []
    public init() {}
}
