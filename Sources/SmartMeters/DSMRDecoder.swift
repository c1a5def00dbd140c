import Foundation

/// The P1 port of Dutch and Belgian smart meters: DSMR 2.2, 3, 4.x and 5.0 and the Belgian e-MUCS
/// (DSMR P1 Companion Standard 5.0.2 §6: telegram `/XXX5…` header, COSEM objects, `!` and CRC16).
///
/// A telegram runs from `/` to `!`; DSMR 4 and later (and e-MUCS) follow the `!` with a CRC16
/// (CRC-16/ARC, polynomial 0xA001 reflected, start 0) over every byte from `/` to `!` as four hex
/// digits. A telegram whose CRC does not match, that is cut off by a new `/`, or that grows past the
/// size limit is rejected and never used. A telegram without a CRC is taken only from a meter
/// configured as DSMR 2.2 or 3 (`crcRequired: false`): otherwise nothing vouches for its bytes,
/// and a mangled one without a version line would drive the fuse loop.
public struct DSMRDecoder: TelegramDecoder {
    /// Larger than any real telegram (≈ 1 KiB with M-Bus values): garbage never grows memory.
    static let maxTelegram = 8_192

    private var buffer: [UInt8] = []
    private var inTelegram = false
    /// False only for meters configured as DSMR 2.2 or 3, which send no CRC.
    public let crcRequired: Bool

    public init(crcRequired: Bool = true) { self.crcRequired = crcRequired }

    public mutating func feed(_ bytes: [UInt8]) -> [TelegramResult] {
        var results: [TelegramResult] = []
        // DSMR 2.2 runs 7E1: a line read as 8 bits carries the parity in bit 7, and telegrams are ASCII
        for byte in bytes.lazy.map({ $0 & 0x7F }) {
            if byte == UInt8(ascii: "/") {
                // a new header: a telegram still open was cut off
                if inTelegram, !buffer.isEmpty, !buffer.contains(UInt8(ascii: "!")) { results.append(.rejected("truncated telegram")) }
                buffer = [byte]
                inTelegram = true
                continue
            }
            guard inTelegram else { continue }   // noise between telegrams
            buffer.append(byte)
            if buffer.count > Self.maxTelegram {
                results.append(.rejected("telegram longer than \(Self.maxTelegram) bytes"))
                buffer = []
                inTelegram = false
                continue
            }
            // the end: "!" then the CRC (if any) then CR LF
            if byte == UInt8(ascii: "\n"), let end = buffer.lastIndex(of: UInt8(ascii: "!")) {
                results.append(Self.decode(telegram: buffer[..<(end + 1)], trailer: buffer[(end + 1)...], crcRequired: crcRequired))
                buffer = []
                inTelegram = false
            }
        }
        return results
    }

    static func decode(telegram: ArraySlice<UInt8>, trailer: ArraySlice<UInt8>, crcRequired: Bool) -> TelegramResult {
        let crcText = String(decoding: trailer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let objects = parseObjects(telegram)
        if crcText.isEmpty {
            // only versions before 4 send no CRC; a newer telegram without one has lost it
            if let version = objects["1-3:0.2.8"].flatMap({ Int($0.first ?? "") }), version >= 40 {
                return .rejected("DSMR \(version / 10).\(version % 10) telegram without its CRC")
            }
            if objects["0-0:96.1.4"] != nil { return .rejected("e-MUCS telegram without its CRC") }
            // no version line proves nothing: a DSMR 4/5 telegram may have lost it as well as its CRC
            guard !crcRequired else { return .rejected("telegram without a CRC (only a meter configured as dsmr: 2.2 or 3 sends none)") }
        } else {
            guard crcText.count == 4, let sent = UInt16(crcText, radix: 16) else { return .rejected("unreadable CRC \"\(crcText.prefix(8))\"") }
            let computed = crc16(telegram)
            guard sent == computed else { return .rejected(String(format: "CRC %04X, computed %04X", sent, computed)) }
        }
        return values(objects)
    }

    /// CRC-16/ARC as DSMR 4+ specifies it.
    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return crc
    }

    /// OBIS reference → the texts of its parenthesised values, e.g. `1-0:21.7.0` → ["01.111*kW"].
    static func parseObjects(_ telegram: ArraySlice<UInt8>) -> [String: [String]] {
        var objects: [String: [String]] = [:]
        for line in String(decoding: telegram, as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard let open = line.firstIndex(of: "("), line.last == ")" else { continue }
            let key = String(line[..<open])
            let values = line[line.index(after: open)..<line.index(before: line.endIndex)].components(separatedBy: ")(")
            objects[key] = values
        }
        return objects
    }

    /// A value in SI units: `123.456*kWh` → 123456 (Wh), `01.193*kW` → 1193 (W), `230.1*V`, `004*A`.
    static func number(_ text: String?) -> Double? {
        guard let text else { return nil }
        let parts = text.split(separator: "*", maxSplits: 1)
        guard let first = parts.first, first.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(first), value.isFinite else {
            return nil
        }
        let unit = parts.count > 1 ? parts[1] : ""
        switch unit {
        // the meter's decimals are exact: no binary noise in the watts (1.111 kW is 1111 W)
        case "kWh", "kW": return (value * 1_000_000).rounded() / 1000
        default: return value
        }
    }

    static func values(_ objects: [String: [String]]) -> TelegramResult {
        var values: [String: Double] = [:]
        func value(_ code: String) -> Double? { number(objects["1-0:" + code]?.last) }
        // energy per tariff (1: low / night, 2: normal / day), and the totals
        for (name, codes) in [("energy.import", ["1.8.1", "1.8.2"]), ("energy.export", ["2.8.1", "2.8.2"])] {
            let tariffs = codes.map(value)
            for (index, tariff) in tariffs.enumerated() { if let tariff { values["\(name).t\(index + 1)"] = tariff } }
            if let total = value(name == "energy.import" ? "1.8.0" : "2.8.0") ?? (tariffs.contains(nil) ? nil : tariffs.compactMap { $0 }.reduce(0, +)) {
                values[name] = total
            }
        }
        if let tariff = number(objects["0-0:96.14.0"]?.last) { values["tariff"] = tariff }
        if let imported = value("1.7.0") { values["power.total"] = imported - (value("2.7.0") ?? 0) }
        // per phase: L1 21/22/31/32, L2 41/42/51/52, L3 61/62/71/72
        var phasesSeen = 0
        for (phase, base) in [(1, 20), (2, 40), (3, 60)] {
            let imported = value("\(base + 1).7.0"), exported = value("\(base + 2).7.0")
            let current = value("\(base + 11).7.0"), voltage = value("\(base + 12).7.0")
            if imported != nil || current != nil || voltage != nil { phasesSeen = phase }
            let power = imported.map { $0 - (exported ?? 0) }
            if let power { values["power.l\(phase)"] = power }
            if let voltage { values["voltage.l\(phase)"] = voltage }
            // many meters report whole amperes: power ÷ voltage is finer, and its sign tells export
            if let power, let voltage, voltage > 50 {
                values["current.l\(phase)"] = power / voltage
            } else if let current {
                values["current.l\(phase)"] = (power ?? 0) < 0 ? -current : current
            }
        }
        // a single-phase meter sends L1 only: the supply has one phase, the others carry nothing
        if phasesSeen == 1 {
            for phase in 2...3 {
                values["current.l\(phase)"] = 0
                if values["power.l1"] != nil { values["power.l\(phase)"] = 0 }
            }
        }
        guard !values.isEmpty else { return .rejected("no electricity values in the telegram") }
        return .values(values)
    }
}
