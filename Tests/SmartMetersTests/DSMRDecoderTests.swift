import Foundation
import Testing
@testable import SmartMeters

/// P1 telegrams: framing, CRC16, OBIS codes to quantities, per-phase current from power and
/// voltage, single-phase meters, and every kind of broken telegram dropped.
struct DSMRDecoderTests {
    /// The example telegram of the DSMR P1 Companion Standard 5.0.2 §6.12, with CR LF line ends. The
    /// CRC printed there (EF2F) does not match its text; E47C does, as dsmr-parser confirms.
    static let specification = """
    /ISk5\\2MT382-1000\r
    \r
    1-3:0.2.8(50)\r
    0-0:1.0.0(101209113020W)\r
    0-0:96.1.1(4B384547303034303436333935353037)\r
    1-0:1.8.1(123456.789*kWh)\r
    1-0:1.8.2(123456.789*kWh)\r
    1-0:2.8.1(123456.789*kWh)\r
    1-0:2.8.2(123456.789*kWh)\r
    0-0:96.14.0(0002)\r
    1-0:1.7.0(01.193*kW)\r
    1-0:2.7.0(00.000*kW)\r
    0-0:96.7.21(00004)\r
    0-0:96.7.9(00002)\r
    1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(0000000301*s)\r
    1-0:32.32.0(00002)\r
    1-0:52.32.0(00001)\r
    1-0:72.32.0(00000)\r
    1-0:32.36.0(00000)\r
    1-0:52.36.0(00003)\r
    1-0:72.36.0(00000)\r
    0-0:96.13.0(303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F303132333435363738393A3B3C3D3E3F)\r
    1-0:32.7.0(220.1*V)\r
    1-0:52.7.0(220.2*V)\r
    1-0:72.7.0(220.3*V)\r
    1-0:31.7.0(001*A)\r
    1-0:51.7.0(002*A)\r
    1-0:71.7.0(003*A)\r
    1-0:21.7.0(01.111*kW)\r
    1-0:41.7.0(02.222*kW)\r
    1-0:61.7.0(03.333*kW)\r
    1-0:22.7.0(04.444*kW)\r
    1-0:42.7.0(05.555*kW)\r
    1-0:62.7.0(06.666*kW)\r
    0-1:24.1.0(003)\r
    0-1:96.1.0(3232323241424344313233343536373839)\r
    0-1:24.2.1(101209112500W)(12785.123*m3)\r
    !E47C\r

    """

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func values(_ result: TelegramResult?) -> [String: Double]? {
        if case .values(let values)? = result { return values }
        return nil
    }

    @Test func theSpecificationsTelegramDecodes() throws {
        var decoder = DSMRDecoder()
        let results = decoder.feed(Self.bytes(Self.specification))
        #expect(results.count == 1)
        let values = try #require(Self.values(results.first), "\(results)")
        #expect(values["energy.import.t1"] == 123_456_789 && values["energy.import"] == 246_913_578)
        #expect(values["energy.export"] == 246_913_578)
        #expect(values["tariff"] == 2)
        #expect(values["power.total"] == 1193)
        // per phase: import − export, in W; the current from power ÷ voltage, signed
        #expect(values["power.l1"] == -3333.0)   // 1.111 kW imported − 4.444 kW exported
        #expect(values["voltage.l2"] == 220.2)
        let current = try #require(values["current.l1"])
        #expect(abs(current - (-3333 / 220.1)) < 1e-9, "\(current)")
        #expect(values["current.l3"].map { abs($0 - (-3333 / 220.3)) < 1e-9 } == true)
    }

    @Test func aTelegramSplitAcrossReadsAndNoiseAroundIt() {
        var decoder = DSMRDecoder()
        var results: [TelegramResult] = decoder.feed(Self.bytes("garbage\r\n!12"))
        let telegram = Self.bytes(Self.specification)
        for chunk in stride(from: 0, to: telegram.count, by: 37) {
            results += decoder.feed(Array(telegram[chunk..<min(chunk + 37, telegram.count)]))
        }
        results += decoder.feed(Self.bytes("more noise"))
        #expect(results.count == 1 && Self.values(results.first) != nil, "\(results)")
    }

    @Test func aWrongCRCATruncatedTelegramAndAMissingCRCAreDropped() {
        var decoder = DSMRDecoder()
        let corrupted = Self.specification.replacingOccurrences(of: "1-0:1.7.0(01.193*kW)", with: "1-0:1.7.0(09.193*kW)")
        let rejected = decoder.feed(Self.bytes(corrupted))
        #expect(rejected.count == 1 && rejected.first.map { if case .rejected(let reason) = $0 { reason.hasPrefix("CRC E47C, computed ") } else { false } } == true,
                "\(rejected)")
        // cut off by the next telegram's header: the first is dropped, the second decodes
        let half = String(Self.specification.prefix(300))
        let results = decoder.feed(Self.bytes(half + Self.specification))
        #expect(results.count == 2)
        #expect(results.first == .rejected("truncated telegram"))
        #expect(Self.values(results.last) != nil)
        // a DSMR 5 telegram whose CRC was lost
        let noCRC = Self.specification.replacingOccurrences(of: "!E47C", with: "!")
        #expect(decoder.feed(Self.bytes(noCRC)) == [.rejected("DSMR 5.0 telegram without its CRC")])
        // an endless stream without a telegram end never grows past the limit
        let flood = decoder.feed([UInt8](repeating: UInt8(ascii: "/"), count: 1) + [UInt8](repeating: UInt8(ascii: "x"), count: 20_000))
        #expect(flood.count == 1)
    }

    @Test func dsmr22HasNoCRCAndASinglePhaseMeterHasTwoQuietPhases() throws {
        let old = "/ISk5\\2ME382-1003\r\n\r\n0-0:96.1.1(4B414C37303035313039303233313930)\r\n1-0:1.8.1(00185.000*kWh)\r\n1-0:1.8.2(00084.000*kWh)\r\n"
            + "1-0:2.8.1(00000.000*kWh)\r\n1-0:2.8.2(00000.000*kWh)\r\n0-0:96.14.0(0001)\r\n1-0:1.7.0(0000.98*kW)\r\n1-0:2.7.0(0000.00*kW)\r\n!\r\n"
        var strict = DSMRDecoder()
        #expect(strict.feed(Self.bytes(old)).first.map { if case .rejected = $0 { true } else { false } } == true,
                "without dsmr: 2.2 or 3 configured, a telegram without a CRC is dropped")
        var decoder = DSMRDecoder(crcRequired: false)
        let values = try #require(Self.values(decoder.feed(Self.bytes(old)).first))
        #expect(values["power.total"] == 980 && values["energy.import"] == 269_000 && values["tariff"] == 1)
        #expect(values["current.l1"] == nil, "DSMR 2.2 sends no current: the fuse loop cannot use it")

        let single = "/Ene5\\T210-D ESMR5.0\r\n\r\n1-3:0.2.8(50)\r\n1-0:1.7.0(02.300*kW)\r\n1-0:2.7.0(00.000*kW)\r\n1-0:32.7.0(230.0*V)\r\n"
            + "1-0:31.7.0(010*A)\r\n1-0:21.7.0(02.300*kW)\r\n1-0:22.7.0(00.000*kW)\r\n!"
        let telegram = Self.bytes(single)
        let crc = String(DSMRDecoder.crc16(telegram[...]), radix: 16, uppercase: true)
        let one = try #require(Self.values(decoder.feed(telegram + Self.bytes(String(repeating: "0", count: 4 - crc.count) + crc + "\r\n")).first))
        #expect(one["current.l1"] == 10 && one["current.l2"] == 0 && one["current.l3"] == 0, "\(one)")
        #expect(one["power.l2"] == 0 && one["power.l3"] == 0)
    }

    /// A DSMR 5 telegram that lost both its version line and its CRC looks like DSMR 2.2: only a
    /// meter configured as 2.2 or 3 may send it; a version line or e-MUCS id still needs its CRC there.
    @Test func aTelegramWithoutCRCIsTakenOnlyFromAnOldMeter() {
        let bare = Self.specification.replacingOccurrences(of: "1-3:0.2.8(50)\r\n", with: "").replacingOccurrences(of: "!E47C", with: "!")
        #expect(!bare.contains("0.2.8") && bare.hasSuffix("!\r\n"))
        var strict = DSMRDecoder()
        #expect(strict.feed(Self.bytes(bare)) == [.rejected("telegram without a CRC (only a meter configured as dsmr: 2.2 or 3 sends none)")])
        var old = DSMRDecoder(crcRequired: false)
        #expect(Self.values(old.feed(Self.bytes(bare)).first) != nil)
        let versioned = Self.specification.replacingOccurrences(of: "!E47C", with: "!")
        #expect(old.feed(Self.bytes(versioned)) == [.rejected("DSMR 5.0 telegram without its CRC")])
        // a CRC, when sent, is checked whatever the configuration
        #expect(Self.values(old.feed(Self.bytes(Self.specification)).first) != nil)
        let wrong = old.feed(Self.bytes(Self.specification.replacingOccurrences(of: "!E47C", with: "!E47D")))
        #expect(wrong.count == 1 && Self.values(wrong.first) == nil)
    }

    @Test func junkValuesAreNotNumbers() {
        #expect(DSMRDecoder.number("12.5*kW") == 12_500)
        #expect(DSMRDecoder.number("nan*kW") == nil)
        #expect(DSMRDecoder.number("0x10*A") == nil)
        #expect(DSMRDecoder.number("1e3*A") == nil)
        #expect(DSMRDecoder.number("") == nil)
    }
}
