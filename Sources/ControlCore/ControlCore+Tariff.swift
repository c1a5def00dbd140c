import EnergyControl
import StorageModel

extension ControlCore {
    /// The tariff index the off-peak meter reports (Linky TIC, DSMR P1); nil when it has none now
    /// (not read yet, meter lost): the off-peak windows stand in. It counts at the next step.
    public mutating func tariffRead(_ value: Double?, now: Seconds, wall: Double) -> Effects {
        var effects = Effects()
        guard let signal = settings.load?.offPeak?.tariffSignal else { return effects }
        // an index is a small whole number: anything else is no tariff at all
        let index = value.flatMap { $0.isFinite && $0 >= 0 && $0 <= 99 && $0 == $0.rounded() ? $0 : nil }
        if index != nil { tariffSeen = now }
        noteTariff(index, signal: signal, wall: wall, into: &effects.logs, &effects.storage)
        return effects
    }

    /// A tariff not heard for this long is not known any more (a pulled cable, a lost meter).
    static let tariffStaleAfter: Seconds = 60

    /// At every step: a tariff gone stale is forgotten.
    mutating func ageTariff(now: Seconds, wall: Double, into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        guard let signal = settings.load?.offPeak?.tariffSignal, tariff != nil, now - tariffSeen > Self.tariffStaleAfter else { return }
        noteTariff(nil, signal: signal, wall: wall, into: &logs, &storage)
    }

    private mutating func noteTariff(_ index: Double?, signal: OffPeakSettings.TariffSignal, wall: Double,
                                     into logs: inout [CoreLog], _ storage: inout [StorageChange]) {
        guard index != tariff else { return }
        let before = tariff
        tariff = index
        let detail: String
        if let index {
            let period = signal.offPeakTariffs.contains(Int(index)) ? "off-peak" : "peak"
            detail = "tariff \(before.map { String(Int($0)) } ?? "unknown") → \(Int(index)) (\(period))"
        } else {
            detail = "tariff unknown (meter \(signal.meter) gives none now): the off-peak windows apply"
        }
        logs.append(CoreLog(.notice, "off-peak meter \(signal.meter): \(detail)"))
        storage.append(.event(EventRecord(at: wall, kind: EventKind.tariffChanged.rawValue, subject: signal.meter, detail: detail)))
    }

    /// Whether it is off-peak now by the site's rule (nil: no off-peak rule, or no local time).
    public func offPeakNow(_ localTime: LocalTime?) -> Bool? {
        guard let offPeak = settings.load?.offPeak, let localTime else { return nil }
        return offPeak.isOffPeak(localTime, tariff: tariff)
    }

    /// The tariff index in force (nil: not known or no tariff signal).
    public var tariffIndex: Double? { tariff }
}
