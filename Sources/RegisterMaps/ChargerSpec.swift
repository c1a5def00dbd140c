import Foundation

/// The common status vocabulary every charger's vendor codes map to (OCPP-like).
public enum CommonChargerStatus: String, Sendable, CaseIterable {
    case available, preparing, charging
    case suspendedEV = "suspended-ev", suspendedEVSE = "suspended-evse"
    case finishing, reserved, faulted, unavailable
    /// A code the map does not list: never charging, never free current.
    case unknown
}

/// IEC 61851-1 control pilot states.
public enum IECState: String, Sendable, CaseIterable {
    case a = "A", b = "B", c = "C", d = "D", e = "E", f = "F"

    /// A vehicle is connected (states B, C, D).
    public var vehicleConnected: Bool { self == .b || self == .c || self == .d }
}

/// Cable / plug state, as far as the charger reports it.
public enum PlugState: String, Sendable, CaseIterable {
    case noCable = "no-cable", cable, vehicle, locked = "vehicle-locked"
}

/// What a charger map's `charger:` section declares: how the generic Modbus charger driver reads
/// its status, writes its setpoint, feeds its watchdog and what it writes on every connection.
public struct ChargerSpec: Sendable, Equatable {
    public struct StatusEntry: Sendable, Equatable {
        public var status: CommonChargerStatus
        public var iec: IECState?
        public init(status: CommonChargerStatus, iec: IECState?) {
            self.status = status
            self.iec = iec
        }
    }

    public struct Status: Sendable, Equatable {
        /// The quantity holding the vendor's status code.
        public var quantity: String
        public var codes: [Int: StatusEntry]
        /// The quantity holding the cable / plug state, if the charger reports one.
        public var cable: String?
        public var cableCodes: [Int: PlugState] = [:]

        public init(quantity: String, codes: [Int: StatusEntry], cable: String? = nil, cableCodes: [Int: PlugState] = [:]) {
            self.quantity = quantity
            self.codes = codes
            self.cable = cable
            self.cableCodes = cableCodes
        }

        /// The common status of a vendor code; a code the table does not list is `unknown`.
        public func decode(code: Int) -> StatusEntry {
            codes[code] ?? StatusEntry(status: .unknown, iec: nil)
        }
    }

    public enum SetpointUnit: String, Sendable {
        case amperes = "A", watts = "W", percent
    }

    /// How a pause is written.
    public enum Pause: Sendable, Equatable {
        /// The setpoint register takes 0.
        case zero
        /// A separate register switches charging on and off; the setpoint is left alone.
        case enable(quantity: String, on: Double, off: Double)
        /// The setpoint goes to its minimum and a flag register says "paused".
        case minimumWithFlag(quantity: String, paused: Double, running: Double)
    }

    public struct Setpoint: Sendable, Equatable {
        public var quantity: String
        public var unit: SetpointUnit
        /// What the charger accepts, in `unit` (a running value below the minimum becomes a pause).
        public var range: ClosedRange<Double>
        /// Values are rounded down to a multiple of this, in `unit`.
        public var resolution: Double = 1
        /// For `percent`: the current that is 100 %, amperes.
        public var maximumAmperes: Double?
        /// For `W`: the phase voltage used to convert amperes.
        public var voltage: Double = 230
        public var pause: Pause = .zero

        public init(quantity: String, unit: SetpointUnit, range: ClosedRange<Double>, resolution: Double = 1,
                    maximumAmperes: Double? = nil, voltage: Double = 230, pause: Pause = .zero) {
            self.quantity = quantity
            self.unit = unit
            self.range = range
            self.resolution = resolution
            self.maximumAmperes = maximumAmperes
            self.voltage = voltage
            self.pause = pause
        }
    }

    public struct Phases: Sendable, Equatable {
        public var quantity: String
        public var one: Double
        public var three: Double
        public init(quantity: String, one: Double, three: Double) {
            self.quantity = quantity
            self.one = one
            self.three = three
        }
    }

    public enum WatchdogKind: String, Sendable {
        /// The bridge renews a validity time (writes the timeout register again) before it runs out.
        case validity
        /// The bridge writes an alive register before the timeout.
        case alive
        /// The setpoint itself holds for a validity time (set on the charger or in `timeout`): the
        /// bridge writes the setpoint again before it runs out.
        case setpoint
        /// The charger keeps no watchdog.
        case none
    }

    public enum SafeCurrent: Sendable, Equatable {
        /// The bridge writes the safe current (amperes) to this register.
        case register(String)
        /// The charger falls back to this current (amperes) by itself.
        case fixed(Double)
    }

    public enum Feed: Sendable, Equatable {
        case period(Double)
        /// A fraction of the timeout (0.5 = twice per timeout).
        case fraction(Double)
    }

    public struct Watchdog: Sendable, Equatable {
        public var kind: WatchdogKind
        /// `alive`: the register written, and the value.
        public var alive: String?
        public var aliveValue: Double = 1
        /// The register holding the watchdog timeout (seconds), written with the configured timeout.
        public var timeout: String?
        public var safeCurrent: SafeCurrent?
        public var feed: Feed?

        public init(kind: WatchdogKind, alive: String? = nil, aliveValue: Double = 1, timeout: String? = nil,
                    safeCurrent: SafeCurrent? = nil, feed: Feed? = nil) {
            self.kind = kind
            self.alive = alive
            self.aliveValue = aliveValue
            self.timeout = timeout
            self.safeCurrent = safeCurrent
            self.feed = feed
        }

        /// Seconds between two feeds for a watchdog timeout of `timeout` s (nil: nothing to feed).
        public func feedInterval(timeout: Double) -> Double? {
            guard kind != .none, let feed else { return nil }
            switch feed {
            case .period(let seconds): return seconds
            case .fraction(let fraction): return timeout * fraction
            }
        }
    }

    /// A write the driver makes on every (re)connection, in the map's order.
    public enum Step: String, Sendable, CaseIterable {
        case watchdogTimeout = "watchdog.timeout"
        case safeCurrent = "watchdog.safe_current"
        case phases
        case setpoint
        case feed = "watchdog.feed"
    }

    public var status: Status
    public var setpoint: Setpoint
    public var phases: Phases?
    public var watchdog: Watchdog
    /// Writes on (re)connection, in order; steps not listed follow in `Step.allCases` order.
    public var connect: [Step]
    /// The setpoint is written again this often even when unchanged (a restarted charger keeps nothing).
    public var reassertSeconds: Double = 10

    public init(status: Status, setpoint: Setpoint, phases: Phases? = nil, watchdog: Watchdog, connect: [Step], reassertSeconds: Double = 10) {
        self.status = status
        self.setpoint = setpoint
        self.phases = phases
        self.watchdog = watchdog
        self.connect = connect
        self.reassertSeconds = reassertSeconds
    }

    /// Every step, the declared connection order first.
    public var writeOrder: [Step] { connect + Step.allCases.filter { !connect.contains($0) } }
}

/// What the driver writes for one setpoint: the setpoint register (nil: leave it) and the pause /
/// enable register (nil: the map has none).
public struct SetpointCommand: Sendable, Equatable {
    public var value: Double?
    public var flag: Double?
    public var paused: Bool

    public init(value: Double?, flag: Double?, paused: Bool) {
        self.value = value
        self.flag = flag
        self.paused = paused
    }
}

extension ChargerSpec.Setpoint {
    /// `amperes` in the map's unit, for `phases` phases in use.
    public func toUnit(amperes: Double, phases: Int) -> Double {
        switch unit {
        case .amperes: amperes
        case .watts: amperes * Double(min(3, max(1, phases))) * voltage
        case .percent: amperes / (maximumAmperes ?? .infinity) * 100
        }
    }

    /// The command for a current of `amperes` (0 = pause). `maxCurrent` is the charger's configured
    /// maximum: whatever the conversion and rounding, the value written never stands for more.
    /// `phases` are the phases the car really uses (for W).
    public func command(amperes: Double, maxCurrent: Double, phases: Int) -> SetpointCommand {
        let wanted = min(amperes, maxCurrent)
        if wanted.isFinite, wanted > 0 {
            let step = resolution > 0 ? resolution : 1
            func floorToStep(_ value: Double) -> Double { (value / step + 1e-9).rounded(.down) * step }
            let ceiling = min(range.upperBound, floorToStep(toUnit(amperes: maxCurrent, phases: phases)))
            let value = min(floorToStep(toUnit(amperes: wanted, phases: phases)), ceiling)
            if value >= range.lowerBound, value > 0 {
                switch pause {
                case .zero: return SetpointCommand(value: value, flag: nil, paused: false)
                case .enable(_, let on, _): return SetpointCommand(value: value, flag: on, paused: false)
                case .minimumWithFlag(_, _, let running): return SetpointCommand(value: value, flag: running, paused: false)
                }
            }
            // below what the charger accepts: a pause, never more than was asked
        }
        switch pause {
        case .zero: return SetpointCommand(value: 0, flag: nil, paused: true)
        case .enable(_, _, let off): return SetpointCommand(value: nil, flag: off, paused: true)
        case .minimumWithFlag(_, let paused, _): return SetpointCommand(value: range.lowerBound, flag: paused, paused: true)
        }
    }

    /// The pause / enable register, if any.
    public var flagQuantity: String? {
        switch pause {
        case .zero: nil
        case .enable(let quantity, _, _), .minimumWithFlag(let quantity, _, _): quantity
        }
    }
}
