import ControlCore
import EnergyControl
import SimulatedDevices
import SiteConfiguration

/// A simulated site: loads, PV, chargers with their EVs, inputs and meter outages over time.
public struct SiteScenario: Sendable {
    /// A load or input that is on during [start, start + duration).
    public struct Window: Sendable, Equatable {
        public var start: Seconds
        public var duration: Seconds
        public func contains(_ t: Seconds) -> Bool { t >= start && t < start + duration }
    }

    public struct LoadEvent: Sendable, Equatable {
        public var window: Window
        /// Extra watts per phase.
        public var watts: [Double]
    }

    public struct RandomEvents: Sendable, Equatable {
        public var perHour: Double
        public var duration: Seconds
        public var magnitude: Double
        public var seed: UInt64
    }

    public struct House: Sendable, Equatable {
        public var baseWatts: [Double] = [300, 300, 300]
        public var events: [LoadEvent] = []
        public var spikes: RandomEvents?
    }

    public struct PV: Sendable, Equatable {
        /// Peak AC power of a three-phase inverter, watts (0 = no PV).
        public var peakWatts: Double = 0
        /// Seconds of the day.
        public var sunrise: Seconds = 6.5 * 3600
        public var sunset: Seconds = 20.5 * 3600
        /// Clouds cut production by `magnitude` (0…1) while they pass.
        public var clouds: RandomEvents?
    }

    public struct Charger: Sendable {
        public var id: String
        public var limits: ChargerLimits
        public var mode: ChargeMode
        public var evs: [SimulatedEV]
        public var placement = ChargerPlacement()
        /// Windows in which the bridge has no contact with the charger.
        public var offline: [Window] = []
        /// The charger keeps a failsafe current and falls back to it after this long without contact (nil: it has none).
        public var failsafeTimeout: Seconds? = 10
    }

    /// The other loads of a zone (amperes per phase), seen by its meter (dynamic zones) and the grid meter.
    public struct ZoneLoads: Sendable, Equatable {
        public var base: [Double] = [0, 0, 0]
        public var events: [LoadEvent] = []
    }

    /// From `at` on, the off-peak meter (a Linky TIC, a P1 meter) reports this tariff index (nil: nothing).
    public struct TariffEvent: Sendable, Equatable {
        public var at: Seconds
        public var index: Double?
    }

    /// A utility or installer signal that is active during its window.
    public struct InputEvent: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            case loadShedding = "load_shedding", disable, downgrade, reduction1, reduction2, reduction3
            /// An FNN control box's W4 contact: the grid operator dims the chargers (§14a EnWG).
            case dimming

            /// The service's input role that plays this signal (`disable` opens an enable contact).
            var role: InputRole {
                switch self {
                case .loadShedding: .loadShedding
                case .disable: .enable
                case .downgrade: .downgrade
                case .reduction1: .reduction1
                case .reduction2: .reduction2
                case .reduction3: .reduction3
                case .dimming: .dimming
                }
            }
        }
        public var kind: Kind
        public var window: Window
    }

    public var name = "scenario"
    /// Time of day at t = 0, seconds.
    public var startOfDay: Seconds = 0
    public var duration: Seconds = 3600
    /// Meter period (control step on every sample).
    public var meterPeriod: Seconds = 0.5
    public var settings = SiteSettings()
    /// The voltages L1…L3 the simulated grid and zone meters report (`site.meter_voltages_v`); nil:
    /// the site's nominal voltage on every phase. The house's loads draw their power at them.
    public var meterVoltages: [Double]?
    public var house = House()
    public var pv = PV()
    public var chargers: [Charger] = []
    public var inputs: [InputEvent] = []
    public var meterOutages: [Window] = []
    /// The off-peak meter's tariff over time, in time order (with `off_peak.source: tic`).
    public var tariffs: [TariffEvent] = []
    /// Load management: zones, policies, time of use, off-peak (nil: only the main fuse is shared).
    public var load: LoadSettings?
    /// Other loads per zone index.
    public var zoneLoads: [Int: ZoneLoads] = [:]
    public var zoneMeterOutages: [Int: [Window]] = [:]
    /// Energy-manager writes and operator commands in time order (`events:`, and `operator_limits:`).
    public var events: [ControlEvent] = []
    /// ISO weekday (1 = Monday) at t = 0.
    public var startWeekday = 1

    public init() {}
}
