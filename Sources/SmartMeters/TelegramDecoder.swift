/// What a smart meter's consumer port sends, decoded: one result per complete telegram.
public enum TelegramResult: Sendable, Equatable {
    /// A valid telegram's values by standard quantity name, in SI units: `current.l1` (A, signed:
    /// negative while exporting), `voltage.l1` (V), `power.l1` and `power.total` (W, import − export),
    /// `energy.import` / `energy.export` (Wh, all tariffs), `energy.import.t1` … (Wh per tariff),
    /// `tariff` (the meter's tariff indicator).
    case values([String: Double])
    /// A telegram that was dropped, and why (bad checksum, truncated, unreadable): never used.
    case rejected(String)
}

/// Turns the bytes of a serial stream into telegrams. Pure: bytes in, results out; it keeps what
/// it needs between calls (a telegram split over several reads). Garbage between telegrams is skipped.
public protocol TelegramDecoder: Sendable {
    mutating func feed(_ bytes: [UInt8]) -> [TelegramResult]
}
