import EnergyControl
import Foundation

/// What the driver needs of one charge point, whatever OCPP version it speaks: frames in and out,
/// control's setpoint, failsafe and switches, its status in the bridge's terms. Pure: time comes
/// in as parameters (monotonic `now`, `wall` for what goes on the wire). `StationControl` is the one
/// implementation, over each version's message set (`OCPP16`, `OCPP201`); a profile fallback or
/// an uplink can sit on this interface without knowing the version.
public protocol ChargePointProtocol: Sendable {
    var version: OCPPVersion { get }
    /// What control wants.
    var setpoint: Int? { get }
    var phases: Int? { get }
    var failsafe: Int? { get }
    /// The way of limiting it that it last accepted (the fallback ladder's `known`; kept by the driver).
    var knownWay: ProfileWay? { get }
    /// Some way of limiting it is in use (false: it refused every way).
    var steerable: Bool { get }
    /// Calls queued or outstanding.
    var pendingCalls: Int { get }
    /// Nothing is waiting to be sent or answered.
    var idle: Bool { get }
    /// Connected, and the charge point said who it is (BootNotification).
    var connected: Bool { get }
    var booted: Bool { get }
    /// The controlled connector as the charge point reported it.
    var record: StationRecord { get }

    mutating func opened(now: Double)
    mutating func closed()
    /// A text message from the charge point; the frames to send and what to log.
    mutating func received(_ text: String, now: Double, wall: Date) -> (frames: [Frame], notes: [ControlNote])
    /// Timeouts, renewals and the next call: every second or so, and after a change.
    mutating func tick(now: Double, wall: Date) -> (frames: [Frame], notes: [ControlNote])
    mutating func apply(setpoint: Int, phases: Int?)
    mutating func setFailsafe(_ amperes: Int)
    mutating func setOperator(enabled: Bool, forced: Bool)
    mutating func reset(_ kind: ResetKind)
    /// Ends the running transaction; false when none runs.
    mutating func stopTransaction() -> Bool
    /// A call of the driver's own (the local list), answered through `takeAnswers`.
    @discardableResult
    mutating func send(_ call: OutgoingCall, key: String) -> Bool
    mutating func takeAnswers() -> [OutgoingCalls.Outcome]
    /// The bridge stops: the dynamic profile is cleared, nothing renewed.
    mutating func leave()
    func status(now: Double) -> ChargerStatus
}

/// Something worth logging, with a level.
public struct ControlNote: Sendable, Equatable {
    public enum Level: Sendable { case info, notice, warning }
    public var level: Level
    public var text: String

    public init(level: Level, text: String) {
        self.level = level
        self.text = text
    }
}

/// A charge point restart: at once, or when no transaction runs (2.0.1 Immediate / OnIdle;
/// 1.6 Hard / Soft).
public enum ResetKind: Sendable, Equatable {
    case immediate, onIdle
}

/// How the bridge drives one charge point (from the configuration), whatever its version.
public struct StationSettings: Sendable, Equatable {
    public var policy = ChargePointPolicy()
    public var stack = ProfileStack()
    /// The meter values' sample interval written after boot (nil: leave the charger's).
    public var meterInterval: Int? = 10
    public var sampledData = "Current.Import,Voltage,Power.Active.Import,Energy.Active.Import.Register,SoC"
    /// The charger may switch phases (numberPhases is sent).
    public var phaseSwitching = false
    /// The id tag of transactions the bridge starts remotely (MQTT force).
    public var remoteIdTag = "chargebridge"
    /// The 1.6 configuration key that limits the current (`ocpp.limit_key`): the ladder's last rung.
    public var limitKey: String?
    /// The way that worked before (stored): the ladder starts there.
    public var rememberedWay: ProfileWay?
    /// Below this setpoint a charger that is not steerable is made Inoperative (it cannot be limited).
    public var minimumCurrent = 6
    public init() {}
}

/// One call to the charge point.
public struct OutgoingCall: Sendable, Equatable {
    public var action: String
    public var payload: JSONValue
    public init(_ action: String, _ payload: JSONValue) {
        self.action = action
        self.payload = payload
    }
}

/// One version's messages: its session for the charge point's calls, and the calls the central
/// system makes, written in that version's fields. Pure.
public protocol OCPPMessageSet: Sendable {
    associatedtype Session: StationSession
    static var version: OCPPVersion { get }
    static func setChargingProfile(_ profile: ChargingProfile) -> OutgoingCall
    /// The limit of a SetChargingProfile this set wrote (to know what an Accepted stands for).
    static func profileLimit(_ request: JSONValue) -> Double?
    static func clearChargingProfile(id: Int) -> OutgoingCall
    /// The fallback ladder's configuration rung (nil: the version has none).
    static func limitConfiguration(key: String, amperes: Int) -> OutgoingCall?
    static func availability(operative: Bool, connector: Int) -> OutgoingCall
    /// `requestId`: unique per connection (2.0.1's remoteStartId).
    static func remoteStart(idTag: String, connector: Int, requestId: Int) -> OutgoingCall
    static func remoteStop(transactionId: String) -> OutgoingCall
    static func reset(_ kind: ResetKind) -> OutgoingCall
    /// After boot: which rate units it takes, its status, what it should measure and how often.
    static func afterBoot(_ settings: StationSettings) -> [(key: String, call: OutgoingCall)]
    /// What an answer to one of `afterBoot`'s calls tells (nil: not one of those).
    static func configurationNotes(_ outcome: OutgoingCalls.Outcome, settings: StationSettings) -> [ControlNote]?
}
