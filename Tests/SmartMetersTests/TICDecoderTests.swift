import Testing
@testable import SmartMeters

/// A group as a meter sends it, its checksum computed here, apart from the decoder: LF, fields joined
/// by the separator, separator, checksum, CR. Historique sums label to data; standard also sums the
/// separator before the checksum.
private func group(_ mode: TICDecoder.Mode, _ fields: String...) -> [UInt8] {
    let separator: UInt8 = mode == .historique ? 0x20 : 0x09
    var payload: [UInt8] = []
    for (index, field) in fields.enumerated() {
        if index > 0 { payload.append(separator) }
        payload += Array(field.utf8)
    }
    let summed = mode == .historique ? payload : payload + [separator]
    let checksum = UInt8((summed.reduce(0) { $0 + Int($1) } & 0x3F) + 0x20)
    return [0x0A] + payload + [separator, checksum, 0x0D]
}

private func frame(_ groups: [UInt8]...) -> [UInt8] {
    [0x02] + groups.flatMap { $0 } + [0x03]
}

private func decode(_ mode: TICDecoder.Mode, _ bytes: [UInt8]) -> [TelegramResult] {
    var decoder = TICDecoder(mode: mode)
    return decoder.feed(bytes)
}

/// Frames captured from real meters (checksums as the meters sent them).
private enum Captured {
    /// Single-phase, HC/HP option, peak hours; PTEC's checksum is a space.
    static let historiqueHCHP = Array("\u{02}\nADCO 031128049974 G\r\nOPTARIF HC.. <\r\nISOUSC 45 ?\r\nHCHC 008563072 %\r\nHCHP 010010179 &\r\nPTEC HP..  \r\nIINST 002 Y\r\nIMAX 045 H\r\nPAPP 00410 &\r\nHHPHC C .\r\nMOTDETAT 000000 B\r\u{03}".utf8)
    static let historiqueHCHPValues: [String: Double] = [
        "current.l1": 2, "current.l2": 0, "current.l3": 0,
        "power.total": 410, "power.l1": 410, "power.l2": 0, "power.l3": 0,
        "energy.import.t1": 8_563_072, "energy.import.t2": 10_010_179, "energy.import": 18_573_251,
        "tariff": 2,
    ]

    /// Single-phase, Tempo option, blue day peak hours.
    static let historiqueTempo = Array("\u{02}\nADCO 031961098836 M\r\nOPTARIF BBR( S\r\nISOUSC 45 ?\r\nBBRHCJB 001478389 E\r\nBBRHPJB 001012295 >\r\nBBRHCJW 000134553 G\r\nBBRHPJW 000213701 M\r\nBBRHCJR 000025098 E\r\nBBRHPJR 000006010 A\r\nPTEC HPJB P\r\nDEMAIN BLEU V\r\nIINST 001 X\r\nIMAX 060 E\r\nPAPP 00120 $\r\nHHPHC A ,\r\nMOTDETAT 000000 B\r\u{03}".utf8)

    /// Three-phase Linky in mode standard, Tempo, white day off-peak (NTARF 03); two groups have a
    /// space as checksum, several carry a horodate.
    static let standardThreePhase = Array("\u{02}\nADSC\t041776199277\tI\r\nVTIC\t02\tJ\r\nDATE\tH200214230804\t\t;\r\nNGTF\t     TEMPO      \tF\r\nLTARF\t   HC  BLANC    \t6\r\nEAST\t021849106\t.\r\nEASF01\t004855593\tI\r\nEASF02\t014090959\tH\r\nEASF03\t000487131\t<\r\nEASF04\t001481464\tA\r\nEASF05\t000227596\tE\r\nEASF06\t000706363\t@\r\nEASF07\t000000000\t(\r\nEASF08\t000000000\t)\r\nEASF09\t000000000\t*\r\nEASF10\t000000000\t\"\r\nEASD01\t021849106\t?\r\nEASD02\t000000000\t!\r\nEASD03\t000000000\t\"\r\nEASD04\t000000000\t#\r\nIRMS1\t003\t1\r\nIRMS2\t006\t5\r\nIRMS3\t003\t3\r\nURMS1\t237\tF\r\nURMS2\t238\tH\r\nURMS3\t235\tF\r\nPREF\t30\tB\r\nPCOUP\t30\t\\\r\nSINSTS\t02700\tO\r\nSINSTS1\t00664\tG\r\nSINSTS2\t01373\tF\r\nSINSTS3\t00664\tI\r\nSMAXSN\tH200214175135\t10802\t7\r\nSMAXSN1\tH200214175135\t03411\t&\r\nSMAXSN2\tH200214175135\t03899\t;\r\nSMAXSN3\tH200214175135\t03512\t*\r\nSMAXSN-1\tH200213085118\t09562\t \r\nSMAXSN1-1\tH200213085118\t03129\tJ\r\nSMAXSN2-1\tH200213101142\t03366\t@\r\nSMAXSN3-1\tH200213085118\t03191\tK\r\nCCASN\tH200214230000\t01650\t5\r\nCCASN-1\tH200214225000\t00786\t \r\nUMOY1\tH200214230000\t237\t(\r\nUMOY2\tH200214230000\t238\t*\r\nUMOY3\tH200214230000\t236\t)\r\nSTGE\t463A0800\tK\r\nDPM1\t 200214060000\t00\t\\\r\nFPM1\t 200215060000\t00\t_\r\nMSG1\tPAS DE          MESSAGE         \t<\r\nPRM\t07361794479930\tF\r\nRELAIS\t001\tC\r\nNTARF\t03\tP\r\nNJOURF\t00\t&\r\nNJOURF+1\t00\tB\r\nPJOURF+1\t00004001 06004002 22004001 NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE\t.\r\u{03}".utf8)

    /// Single-phase Linky in mode standard, base option.
    static let standardSinglePhase = Array("\u{02}\nADSC\t012345678910\t;\r\nVTIC\t02\tJ\r\nDATE\tH240210121413\t\t6\r\nNGTF\tbase            \t<\r\nLTARF\tBASE            \tF\r\nEAST\t003519703\t+\r\nEASF01\t003519703\t>\r\nEASF02\t000000000\t#\r\nEASF03\t000000000\t$\r\nEASF04\t000000000\t%\r\nEASF05\t000000000\t&\r\nEASF06\t000000000\t'\r\nEASF07\t000000000\t(\r\nEASF08\t000000000\t)\r\nEASF09\t000000000\t*\r\nEASF10\t000000000\t\"\r\nEASD01\t003519703\t<\r\nEASD02\t000000000\t!\r\nEASD03\t000000000\t\"\r\nEASD04\t000000000\t#\r\nIRMS1\t001\t/\r\nURMS1\t241\tA\r\nPREF\t06\tE\r\nPCOUP\t06\t_\r\nSINSTS\t00260\tN\r\nSMAXSN\tH240210110331\t00986\t6\r\nSMAXSN-1\tH240209211759\t01422\t^\r\nCCASN\tH240210120000\t00108\t0\r\nCCASN-1\tH240210113000\t00300\tJ\r\nUMOY1\tH240210121000\t241\t\"\r\nSTGE\t003A0000\t9\r\nMSG1\tPAS DE          MESSAGE         \t<\r\nPRM\t00000000000000\tA\r\nRELAIS\t001\tC\r\nNTARF\t01\tN\r\nNJOURF\t00\t&\r\nNJOURF+1\t00\tB\r\nPJOURF+1\t0000C001 NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE NONUTILE\tD\r\u{03}".utf8)
}

@Suite("TIC decoder")
struct TICDecoderTests {
    @Test func checksumHelperAgreesWithTheMetersAndTheSpecification() {
        #expect(group(.historique, "MOTDETAT", "000000") == Array("\nMOTDETAT 000000 B\r".utf8))
        #expect(group(.historique, "PTEC", "HP..") == Array("\nPTEC HP..  \r".utf8))
        #expect(group(.standard, "SINSTS", "00520") == Array("\nSINSTS\t00520\tM\r".utf8))
        #expect(group(.standard, "SMAXSN-1", "H200213085118", "09562") == Array("\nSMAXSN-1\tH200213085118\t09562\t \r".utf8))
    }

    // MARK: - Mode historique

    @Test func historiqueSinglePhaseGivesThreePhasesTwoAtZero() {
        #expect(decode(.historique, Captured.historiqueHCHP) == [.values(Captured.historiqueHCHPValues)])
    }

    @Test func historiqueTempoIndexesAndPeriod() {
        #expect(decode(.historique, Captured.historiqueTempo) == [.values([
            "current.l1": 1, "current.l2": 0, "current.l3": 0,
            "power.total": 120, "power.l1": 120, "power.l2": 0, "power.l3": 0,
            "energy.import.t1": 1_478_389, "energy.import.t2": 1_012_295, "energy.import.t3": 134_553,
            "energy.import.t4": 213_701, "energy.import.t5": 25_098, "energy.import.t6": 6_010,
            "energy.import": 2_870_046,
            "tariff": 2,
        ])])
    }

    @Test func historiqueThreePhase() {
        let bytes = frame(
            group(.historique, "ADCO", "020828500754"), group(.historique, "OPTARIF", "BASE"),
            group(.historique, "ISOUSC", "30"), group(.historique, "BASE", "012345678"),
            group(.historique, "PTEC", "TH.."),
            group(.historique, "IINST1", "010"), group(.historique, "IINST2", "012"), group(.historique, "IINST3", "009"),
            group(.historique, "IMAX1", "060"), group(.historique, "IMAX2", "060"), group(.historique, "IMAX3", "060"),
            group(.historique, "PMAX", "06871"), group(.historique, "PAPP", "06900"),
            group(.historique, "HHPHC", "A"), group(.historique, "MOTDETAT", "000000"), group(.historique, "PPOT", "00"))
        // Only the total power is sent: no per-phase power is made up.
        #expect(decode(.historique, bytes) == [.values([
            "current.l1": 10, "current.l2": 12, "current.l3": 9,
            "power.total": 6900, "energy.import": 12_345_678, "tariff": 1,
        ])])
    }

    @Test func historiqueThreePhaseShortFrameOnOverrun() {
        let bytes = frame(
            group(.historique, "ADIR1", "045"), group(.historique, "ADCO", "020828500754"),
            group(.historique, "IINST1", "045"), group(.historique, "IINST2", "012"), group(.historique, "IINST3", "009"))
        #expect(decode(.historique, bytes) == [.values(["current.l1": 45, "current.l2": 12, "current.l3": 9])])
    }

    @Test func historiqueOffPeakAndUnknownPeriods() {
        let offPeak = frame(group(.historique, "IINST", "005"), group(.historique, "PTEC", "HC.."))
        #expect(decode(.historique, offPeak) == [.values(["current.l1": 5, "current.l2": 0, "current.l3": 0, "tariff": 1])])
        let unknown = frame(group(.historique, "IINST", "005"), group(.historique, "PTEC", "XY.."))
        #expect(decode(.historique, unknown) == [.values(["current.l1": 5, "current.l2": 0, "current.l3": 0])])
    }

    // MARK: - Mode standard

    @Test func standardThreePhase() {
        #expect(decode(.standard, Captured.standardThreePhase) == [.values([
            "current.l1": 3, "current.l2": 6, "current.l3": 3,
            "voltage.l1": 237, "voltage.l2": 238, "voltage.l3": 235,
            "power.total": 2700, "power.l1": 664, "power.l2": 1373, "power.l3": 664,
            "energy.import": 21_849_106,
            "energy.import.t1": 4_855_593, "energy.import.t2": 14_090_959, "energy.import.t3": 487_131,
            "energy.import.t4": 1_481_464, "energy.import.t5": 227_596, "energy.import.t6": 706_363,
            "energy.import.t7": 0, "energy.import.t8": 0, "energy.import.t9": 0, "energy.import.t10": 0,
            "tariff": 3,
        ])])
    }

    @Test func standardSinglePhaseGivesThreePhasesTwoAtZero() {
        var expected: [String: Double] = [
            "current.l1": 1, "current.l2": 0, "current.l3": 0, "voltage.l1": 241,
            "power.total": 260, "power.l1": 260, "power.l2": 0, "power.l3": 0,
            "energy.import": 3_519_703, "energy.import.t1": 3_519_703, "tariff": 1,
        ]
        for index in 2...10 { expected["energy.import.t\(index)"] = 0 }
        #expect(decode(.standard, Captured.standardSinglePhase) == [.values(expected)])
    }

    @Test func standardProducerNetsInjectedPower() {
        let bytes = frame(
            group(.standard, "ADSC", "041876097274"),
            group(.standard, "DATE", "E240601120000", ""),
            group(.standard, "EAST", "000123456"), group(.standard, "EAIT", "000654321"),
            group(.standard, "IRMS1", "007"), group(.standard, "URMS1", "232"),
            group(.standard, "SINSTS", "00000"), group(.standard, "SINSTI", "01610"),
            group(.standard, "SMAXSN", "E240601113000", "05120"),
            group(.standard, "NTARF", "02"))
        // One phase exporting: the power is negative, and so is the current.
        #expect(decode(.standard, bytes) == [.values([
            "current.l1": -7, "current.l2": 0, "current.l3": 0, "voltage.l1": 232,
            "power.total": -1610, "power.l1": -1610, "power.l2": 0, "power.l3": 0,
            "energy.import": 123_456, "energy.export": 654_321, "tariff": 2,
        ])])
    }

    @Test func standardHorodateGroupsAreChecked() {
        var bad = group(.standard, "SMAXSN", "E200101120000", "05120")
        bad[bad.count - 4] = UInt8(ascii: "1")  // 05120 → 05121, checksum kept
        #expect(decode(.standard, frame(group(.standard, "IRMS1", "010"), bad)) == [.rejected("checksum of SMAXSN")])
    }

    @Test func theValueIsTheLastFieldAfterAHorodate() {
        // No output label carries a horodate today (SMAXSN, UMOY1… do): one that did reads its value,
        // not its date.
        let bytes = frame(group(.standard, "IRMS1", "E240601113000", "012"), group(.standard, "SINSTS", "02760"))
        #expect(decode(.standard, bytes) == [.values([
            "current.l1": 12, "current.l2": 0, "current.l3": 0,
            "power.total": 2760, "power.l1": 2760, "power.l2": 0, "power.l3": 0,
        ])])
    }

    // MARK: - Streams

    @Test func aPortOpenedAs8N1StillDecodes() {
        // A 7E1 line read as 8N1 hands the even-parity bit in bit 7.
        let withParity = Captured.historiqueHCHP.map { byte in byte.nonzeroBitCount % 2 == 1 ? byte | 0x80 : byte }
        #expect(withParity != Captured.historiqueHCHP)
        #expect(decode(.historique, withParity) == [.values(Captured.historiqueHCHPValues)])
    }

    @Test func framesSplitAcrossFeeds() {
        let whole = decode(.standard, Captured.standardThreePhase)
        var decoder = TICDecoder(mode: .standard)
        var results: [TelegramResult] = []
        for byte in Captured.standardThreePhase { results += decoder.feed([byte]) }
        #expect(results == whole)

        let bytes = Captured.historiqueHCHP
        for split in 1..<bytes.count {
            var decoder = TICDecoder(mode: .historique)
            let first = decoder.feed(Array(bytes[..<split]))
            let second = decoder.feed(Array(bytes[split...]))
            #expect(first.isEmpty)
            #expect(second == [.values(Captured.historiqueHCHPValues)], "split at \(split)")
        }
    }

    @Test func garbageBeforeTheFirstSTXIsSkipped() {
        // Joining mid-frame: the tail of a frame, its ETX, line noise (EOT and control bytes outside a frame).
        let garbage = Array("IINST 009 ^\r\nIMAX 045 H\r".utf8) + [0x03, 0x0A, 0xFF, 0x04, 0x0D, 0x20, 0x7F, 0x00]
        #expect(decode(.historique, garbage + Captured.historiqueHCHP) == [.values(Captured.historiqueHCHPValues)])
        #expect(decode(.historique, garbage).isEmpty)
    }

    @Test func badChecksumRejectsTheWholeFrame() throws {
        var corrupted = Captured.historiqueHCHP
        let papp = Array("PAPP 00410 &".utf8)
        let start = try #require(corrupted.indices.first { Array(corrupted[$0..<($0 + papp.count)]) == papp })
        corrupted[start + papp.count - 1] = UInt8(ascii: "'")
        #expect(decode(.historique, corrupted) == [.rejected("checksum of PAPP")])

        var flipped = Captured.historiqueHCHP
        let iinst = Array("IINST 002".utf8)
        let at = try #require(flipped.indices.first { Array(flipped[$0..<($0 + iinst.count)]) == iinst })
        flipped[at + iinst.count - 1] = UInt8(ascii: "3")  // a flipped data bit, checksum unchanged
        #expect(decode(.historique, flipped) == [.rejected("checksum of IINST")])
    }

    @Test func newSTXBeforeETXRejectsThePartialFrame() {
        let partial = Array(Captured.historiqueHCHP.prefix(60))
        #expect(decode(.historique, partial + Captured.historiqueHCHP)
            == [.rejected("truncated"), .values(Captured.historiqueHCHPValues)])
    }

    @Test func eotInterruptsAFrame() {
        let partial = Array(Captured.standardSinglePhase.prefix(300))
        var decoder = TICDecoder(mode: .standard)
        #expect(decoder.feed(partial).isEmpty)
        #expect(decoder.feed([0x04] + Array("\nIRMS1\t001\t/\r".utf8) + [0x03]) == [.rejected("interrupted")])
        #expect(decoder.feed(Captured.standardSinglePhase).count == 1)
        #expect(decoder.feed(Captured.standardSinglePhase) == decode(.standard, Captured.standardSinglePhase))
    }

    @Test func nonDigitsWhereANumberIsExpectedRejectTheFrame() {
        #expect(decode(.historique, frame(group(.historique, "IINST", "002"), group(.historique, "PAPP", "00A10")))
            == [.rejected("value of PAPP")])
        #expect(decode(.standard, frame(group(.standard, "IRMS1", " 12"))) == [.rejected("value of IRMS1")])
        #expect(decode(.standard, frame(group(.standard, "EAST", ""))) == [.rejected("value of EAST")])
    }

    @Test func overlongFramesAreDroppedAndGarbageDoesNotAccumulate() {
        var decoder = TICDecoder(mode: .historique)
        let noise = [UInt8](repeating: UInt8(ascii: "A"), count: 5000)
        #expect(decoder.feed([0x02] + noise) == [.rejected("frame too long")])
        #expect(decoder.feed(noise + [0x03]).isEmpty)
        #expect(decoder.feed(Captured.historiqueHCHP) == [.values(Captured.historiqueHCHPValues)])
        // Exactly at the bound still decodes as a frame (here: a malformed one).
        let atBound = [0x02] + [UInt8](repeating: 0x41, count: TICDecoder.maximumFrameLength) + [0x03]
        #expect(decoder.feed(atBound) == [.rejected("malformed group " + String(repeating: "A", count: 16))])
    }

    @Test func emptyUnreadableAndWrongModeFramesAreRejected() {
        #expect(decode(.historique, [0x02, 0x03]) == [.rejected("empty frame")])
        #expect(decode(.historique, frame(group(.historique, "ADCO", "020828500754"))) == [.rejected("no known label")])
        for (mode, bytes) in [(TICDecoder.Mode.historique, Captured.standardSinglePhase), (.standard, Captured.historiqueHCHP)] {
            let results = decode(mode, bytes)
            #expect(results.count == 1)
            guard case .rejected(let reason) = results.first else { Issue.record("\(mode) decoded \(results)"); continue }
            #expect(reason.hasPrefix("malformed group"))
        }
    }
}
