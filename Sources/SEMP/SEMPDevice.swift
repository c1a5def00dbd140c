/// One charger as a SEMP device: what the energy manager is told about it (`Device2EM`: its
/// identity and limits, its status, and — while a vehicle is plugged — its energy request).
public struct SEMPDevice: Sendable, Equatable {
    /// The SEMP DeviceId, `F-XXXXXXXX-XXXXXXXXXXXX-XX` (see ``deviceID(for:seed:)``).
    public var id: String
    public var name: String
    public var vendor: String
    public var serial: String
    /// The least power the charger can draw while charging (one phase at the minimum current), W.
    public var minPowerW: Int
    /// The most power the charger can draw, W.
    public var maxPowerW: Int
    /// Charging is allowed (SEMP `Status` On/Off).
    public var on: Bool
    /// The present average power, W (SEMP `PowerInfo/AveragePower`).
    public var powerW: Int
    /// A vehicle is plugged: only then a `PlanningRequest` is sent.
    public var connected: Bool
    /// Energy that must be charged before the deadline, Wh (nil: none, 0 Wh — all optional).
    public var minEnergyWh: Int?
    /// Energy the vehicle can take, Wh (nil: unknown; see ``SEMPDocument/unknownDemandCapWh``;
    /// 0: full — no request is sent).
    public var maxEnergyWh: Int?
    /// When the vehicle leaves, unix seconds (nil: none; the request then spans the planning horizon).
    public var departure: Double?
    /// The charger follows the energy manager's recommendations (SEMP `EMSignalsAccepted`).
    public var emSignalsAccepted: Bool
    /// Characteristics, seconds (nil: not sent).
    public var minOnTimeS: Int?
    public var minOffTimeS: Int?

    public init(id: String, name: String, vendor: String, serial: String, minPowerW: Int, maxPowerW: Int,
                on: Bool, powerW: Int, connected: Bool, minEnergyWh: Int? = nil, maxEnergyWh: Int? = nil,
                departure: Double? = nil, emSignalsAccepted: Bool, minOnTimeS: Int? = nil, minOffTimeS: Int? = nil) {
        self.id = id
        self.name = name
        self.vendor = vendor
        self.serial = serial
        self.minPowerW = minPowerW
        self.maxPowerW = maxPowerW
        self.on = on
        self.powerW = powerW
        self.connected = connected
        self.minEnergyWh = minEnergyWh
        self.maxEnergyWh = maxEnergyWh
        self.departure = departure
        self.emSignalsAccepted = emSignalsAccepted
        self.minOnTimeS = minOnTimeS
        self.minOffTimeS = minOffTimeS
    }

    /// A stable SEMP DeviceId for a charger: `F-VVVVVVVV-SSSSSSSSSSSS-00`, upper-case hex.
    ///
    /// `F` marks a locally assigned id; the 8 digits come from the seed alone (one range per
    /// installation), the 12 from seed and charger id, the last two are the sub-device (none).
    /// The Sunny Portal keys devices by this id across all installations, so the seed should be
    /// unique to the installation (its SEMP UUID, say) — and must not change, or the Home Manager
    /// sees a new device. The hash is FNV-1a with a SplitMix64 finish: the same inputs give the same
    /// id on every machine and in every run (Swift's `Hasher` would not).
    public static func deviceID(for chargerID: String, seed: String) -> String {
        let range = mix(fnv1a(Array("semp-range\u{0}".utf8) + Array(seed.utf8)))
        let serial = mix(fnv1a(Array("semp-serial\u{0}".utf8) + Array(seed.utf8) + [0] + Array(chargerID.utf8)))
        return "F-" + hex(range & 0xFFFF_FFFF, digits: 8) + "-" + hex(serial & 0xFFFF_FFFF_FFFF, digits: 12) + "-00"
    }

    /// Whether text has the DeviceId form: one character, then 8, 12 and 2 hex digits, dash-separated
    /// (`F-…` local ids; SMA's own devices use e.g. `0-000015BB-…`).
    public static func isValidID(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].count == 1, let first = parts[0].first, first.isASCII,
              first.isLetter || first.isNumber else { return false }
        for (part, length) in zip(parts.dropFirst(), [8, 12, 2]) {
            guard part.count == length, part.allSatisfy(\.isHexDigit) else { return false }
        }
        return true
    }

    private static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// SplitMix64's finaliser: spreads FNV's weak low bits over the word.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// One `DeviceControl` of an `EM2Device` message: the energy manager's recommendation.
public struct SEMPControl: Sendable, Equatable {
    public var deviceID: String
    /// Switch on (charge) or off.
    public var on: Bool
    /// The recommended power, W; the Home Manager leaves it out at times (then: on at the charger's
    /// own choice of power, e.g. its minimum).
    public var recommendedPowerW: Int?

    public init(deviceID: String, on: Bool, recommendedPowerW: Int? = nil) {
        self.deviceID = deviceID
        self.on = on
        self.recommendedPowerW = recommendedPowerW
    }
}
