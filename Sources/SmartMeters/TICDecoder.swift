/// Decoder of the French Linky "télé-information client" (TIC) serial output: mode standard after
/// Enedis-NOI-CPT_54E (9600 baud 7E1, tab separators), mode historique after Enedis-NOI-CPT_02E
/// (1200 baud 7E1, space separators).
///
/// A frame is STX, groups, ETX; a group is LF label SEP data [SEP value after a horodate] SEP checksum CR.
/// One bad group drops the whole frame: the values of a frame belong together (a fuse loop must not
/// mix a fresh current on one phase with a stale one on another).
///
/// Output names (see `TelegramResult`). The meter gives apparent power (VA) only: it stands in for
/// `power.*` (W) as the best available.
/// - historique: `IINST` or `IINST1`…`IINST3` → `current.l1`…`l3`; `PAPP` → `power.total`;
///   `BASE` → `energy.import`; `HCHC`/`HCHP`, `EJPHN`/`EJPHPM` → `energy.import.t1`/`t2`;
///   Tempo `BBRHCJB`, `BBRHPJB`, `BBRHCJW`, `BBRHPJW`, `BBRHCJR`, `BBRHPJR` → `t1`…`t6`;
///   `PTEC` → `tariff` (see `tariffPeriods`).
/// - standard: `IRMS1`…`3` → `current.l1`…`l3`; `URMS1`…`3` → `voltage.l1`…`l3`; `SINSTS` − `SINSTI`
///   → `power.total`; `SINSTS1`…`3` → `power.l1`…`l3`; `EAST` → `energy.import`; `EAIT` →
///   `energy.export`; `EASF01`…`10` → `energy.import.t1`…`t10`; `NTARF` → `tariff`.
/// - both: `energy.import` is the sum of the tariff indexes when the meter sends no total.
/// Other labels (ADCO, MOTDETAT, SMAXSN…) are checked but not output.
public struct TICDecoder: TelegramDecoder {
    public enum Mode: String, Sendable { case historique, standard }

    public let mode: Mode
    /// The bytes since the last STX, or nil while waiting for one (bytes in between are skipped).
    private var frame: [UInt8]?

    /// A standard frame is under 2 KB: more without an ETX is noise, and must not grow memory.
    static let maximumFrameLength = 4096

    public init(mode: Mode) {
        self.mode = mode
    }

    public mutating func feed(_ bytes: [UInt8]) -> [TelegramResult] {
        var results: [TelegramResult] = []
        for received in bytes {
            // The line is 7E1: a port opened as 8N1 hands the parity in bit 7, which carries no data.
            let byte = received & 0x7F
            switch byte {
            case Byte.stx:
                if frame != nil { results.append(.rejected("truncated")) }
                frame = []
            case Byte.etx:
                guard let body = frame else { continue }
                results.append(decode(body))
                frame = nil
            case Byte.eot:
                // The meter cuts a frame short with EOT (e.g. to send an urgent short frame).
                if frame != nil { results.append(.rejected("interrupted")) }
                frame = nil
            default:
                guard frame != nil else { continue }
                frame?.append(byte)
                if let count = frame?.count, count > Self.maximumFrameLength {
                    results.append(.rejected("frame too long"))
                    frame = nil
                }
            }
        }
        return results
    }

    // MARK: - Frames and groups

    private struct Rejection: Error {
        let reason: String
    }

    private func decode(_ body: [UInt8]) -> TelegramResult {
        do throws(Rejection) {
            return .values(try quantities(groups(body)))
        } catch {
            return .rejected(error.reason)
        }
    }

    /// The frame's groups as (label, value), every checksum checked.
    private func groups(_ body: [UInt8]) throws(Rejection) -> [(label: String, value: ArraySlice<UInt8>)] {
        var groups: [(label: String, value: ArraySlice<UInt8>)] = []
        var rest = body[...]
        while let start = rest.first {
            guard start == Byte.lf,
                  let end = rest.dropFirst().firstIndex(where: { $0 == Byte.cr || $0 == Byte.lf }),
                  rest[end] == Byte.cr
            else { throw Rejection(reason: "malformed group \(Self.text(rest.prefix(16)))") }
            groups.append(try group(rest[(rest.startIndex + 1)..<end]))
            rest = rest[(end + 1)...]
        }
        guard !groups.isEmpty else { throw Rejection(reason: "empty frame") }
        return groups
    }

    private func group(_ bytes: ArraySlice<UInt8>) throws(Rejection) -> (label: String, value: ArraySlice<UInt8>) {
        let separator = mode == .historique ? Byte.space : Byte.tab
        // The checksum is the last byte, after a separator; positions, not splitting, find it, since
        // in mode historique the checksum itself may be a space.
        let payload = bytes.dropLast(2)  // label SEP data [SEP …]
        guard bytes.count >= 4, bytes[bytes.endIndex - 2] == separator,
              let labelEnd = payload.firstIndex(of: separator), labelEnd > payload.startIndex
        else { throw Rejection(reason: "malformed group \(Self.text(bytes.prefix(16)))") }
        let label = Self.text(payload[..<labelEnd])
        // Historique sums label to data; standard also sums the separator before the checksum.
        let summed = mode == .historique ? payload : bytes.dropLast()
        let sum = summed.reduce(0) { $0 + Int($1) }  // at most 4096 × 127: no overflow
        guard (sum & 0x3F) + 0x20 == Int(bytes[bytes.endIndex - 1]) else {
            throw Rejection(reason: "checksum of \(label.prefix(16))")
        }
        // Standard labels with a horodate carry the value after it: the value is the last field.
        // Historique data has no horodate, and is everything after the label.
        let valueStart = mode == .historique ? labelEnd : (payload.lastIndex(of: separator) ?? labelEnd)
        return (label, payload[(valueStart + 1)...])
    }

    // MARK: - Values

    private func quantities(_ groups: [(label: String, value: ArraySlice<UInt8>)]) throws(Rejection) -> [String: Double] {
        let names = mode == .historique ? Self.historiqueNames : Self.standardNames
        var values: [String: Double] = [:]
        var injected: Double?
        for (label, data) in groups {
            switch label {
            case "PTEC" where mode == .historique:
                // A text: an unknown period leaves `tariff` out rather than dropping good currents.
                if let period = Self.tariffPeriods[Self.text(data)] { values["tariff"] = period }
            case "SINSTI" where mode == .standard:
                injected = try Self.number(label, data)
            default:
                if let name = names[label] { values[name] = try Self.number(label, data) }
            }
        }
        guard !values.isEmpty else { throw Rejection(reason: "no known label") }

        // Producer meters send drawn (SINSTS) and injected (SINSTI) power apart: the net is import − export.
        if let injected, let drawn = values["power.total"] { values["power.total"] = drawn - injected }
        // HC/HP, EJP and Tempo meters in historique send only the per-tariff indexes.
        if values["energy.import"] == nil {
            let indexes = (1...10).compactMap { values["energy.import.t\($0)"] }
            if !indexes.isEmpty { values["energy.import"] = indexes.reduce(0, +) }
        }
        // A single-phase meter still gives three phases, two at zero: the fuse loop needs all three,
        // and on a single-phase supply the other two carry nothing.
        if let l1 = values["current.l1"], values["current.l2"] == nil, values["current.l3"] == nil {
            values["current.l2"] = 0
            values["current.l3"] = 0
            if let total = values["power.total"] {
                if values["power.l1"] == nil {
                    values["power.l1"] = total
                    values["power.l2"] = 0
                    values["power.l3"] = 0
                }
                // IRMS is a magnitude; with one phase, net injection tells the direction (negative = export).
                if total < 0 { values["current.l1"] = -l1 }
            }
        }
        return values
    }

    /// A TIC number: ASCII digits only (zero-padded), at most 15 so that a Double holds it exactly.
    private static func number(_ label: String, _ data: ArraySlice<UInt8>) throws(Rejection) -> Double {
        guard (1...15).contains(data.count), data.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw Rejection(reason: "value of \(label)")
        }
        return Double(data.reduce(0) { $0 * 10 + Int($1 - 0x30) })
    }

    /// Bytes as text for labels and reasons; control bytes shown as "?" so a reason stays one line.
    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 < 0x20 || $0 > 0x7E ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
    }

    private static let historiqueNames: [String: String] = [
        "IINST": "current.l1", "IINST1": "current.l1", "IINST2": "current.l2", "IINST3": "current.l3",
        "PAPP": "power.total",
        "BASE": "energy.import",
        "HCHC": "energy.import.t1", "HCHP": "energy.import.t2",
        "EJPHN": "energy.import.t1", "EJPHPM": "energy.import.t2",
        "BBRHCJB": "energy.import.t1", "BBRHPJB": "energy.import.t2",
        "BBRHCJW": "energy.import.t3", "BBRHPJW": "energy.import.t4",
        "BBRHCJR": "energy.import.t5", "BBRHPJR": "energy.import.t6",
    ]

    private static let standardNames: [String: String] = {
        var names = [
            "SINSTS": "power.total",
            "EAST": "energy.import", "EAIT": "energy.export",
            "NTARF": "tariff",
        ]
        for phase in 1...3 {
            names["IRMS\(phase)"] = "current.l\(phase)"
            names["URMS\(phase)"] = "voltage.l\(phase)"
            names["SINSTS\(phase)"] = "power.l\(phase)"
        }
        for index in 1...10 {
            names[index < 10 ? "EASF0\(index)" : "EASF\(index)"] = "energy.import.t\(index)"
        }
        return names
    }()

    /// `PTEC` → `tariff`: the number N of the `energy.import.tN` index counting now, as `NTARF` gives it
    /// in mode standard. So off-peak is 1 and peak 2 (HC/HP, EJP normal/mobile peak), a single-tariff
    /// meter ("toutes heures") is 1, and Tempo follows its indexes: blue 1/2, white 3/4, red 5/6 (HC/HP).
    private static let tariffPeriods: [String: Double] = [
        "TH..": 1, "HC..": 1, "HP..": 2, "HN..": 1, "PM..": 2,
        "HCJB": 1, "HPJB": 2, "HCJW": 3, "HPJW": 4, "HCJR": 5, "HPJR": 6,
    ]

    private enum Byte {
        static let stx: UInt8 = 0x02, etx: UInt8 = 0x03, eot: UInt8 = 0x04
        static let tab: UInt8 = 0x09, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20
    }
}
