import OperatorStatus
import Testing

/// The charts' history without a clock: times are handed in.
@Suite("Status page history")
struct SiteHistoryTests {
    @Test func aRingKeepsTheNewestInOrderAndWrapsAround() {
        var ring = HistoryRing<Int>(capacity: 4)
        #expect(ring.isEmpty && ring.last == nil)
        for value in 1...3 { ring.append(value) }
        #expect(ring.elements == [1, 2, 3] && ring.last == 3)
        for value in 4...10 { ring.append(value) }
        #expect(ring.elements == [7, 8, 9, 10] && ring.count == 4 && ring.last == 10)
        ring.removeAll()
        ring.append(11)
        #expect(ring.elements == [11] && ring.last == 11)
    }

    @Test func memoryIsBoundedWhateverTheUptimeAndTheChargers() {
        var history = SiteHistory(period: 10, chargerIDs: (1...120).map { "cp\($0)" })
        #expect(history.chargerIDs.count == SiteHistory.chargerSeriesLimit && history.chargerCount == 120)
        // two days of samples every 10 s
        for step in 0..<17_280 { history.record(Fixture.sample(at: Fixture.morning + Double(step) * 10, 1, chargers: 50)) }
        #expect(history.hour.count == SiteHistory.hourSamples)
        #expect(history.day.count == SiteHistory.dayMinutes)
        #expect(history.samples(.day).count == SiteHistory.dayMinutes + 1, "the minute being aggregated comes last")
        #expect(history.samples(.hour).first?.time == Fixture.morning + Double(17_280 - 360) * 10)
    }

    @Test func aMinuteIsTheMeanOfItsSamplesAndTheHighestGridCurrent() throws {
        var history = SiteHistory(period: 10, chargerIDs: ["a", "b"])
        for (offset, value) in [(0.0, 10 as Float), (10, 20), (20, 30), (30, 40), (40, 50), (50, 60)] {
            history.record(Fixture.sample(at: Fixture.morning + offset, value))
        }
        #expect(history.day.isEmpty, "a minute counts once it is over")
        history.record(Fixture.sample(at: Fixture.morning + 60, 0))
        let minute = try #require(history.day.last)
        #expect(minute.time == Fixture.morning)
        #expect(minute.gridCurrent.l1 == 35 && minute.gridW == 35 && minute.chargerCurrents == [35, 35])
        #expect(minute.gridCurrentMax.l2 == 60)
        #expect(history.samples(.day).last?.time == Fixture.morning + 60)
    }

    @Test func absentValuesAreLeftOutNotCountedAsZero() throws {
        var history = SiteHistory(period: 10, chargerIDs: ["a", "b"])
        var withoutPV = Fixture.sample(at: Fixture.morning, 10)
        withoutPV.pvW = .nan
        withoutPV.chargerCurrents[1] = .nan
        history.record(withoutPV)
        history.record(Fixture.sample(at: Fixture.morning + 10, 30))
        var absent = Fixture.sample(at: Fixture.morning + 20, 30)
        absent.batteryW = .nan
        history.record(absent)
        history.record(Fixture.sample(at: Fixture.morning + 60, 0))
        let minute = try #require(history.day.last)
        #expect(minute.pvW == 30, "the mean of 30 and 30, not of 0, 30 and 30")
        #expect(abs(minute.chargerCurrents[0] - 70.0 / 3) < 0.001 && minute.chargerCurrents[1] == 30)
        #expect(abs(minute.batteryW - 20) < 0.001)
        // a value absent all minute stays absent
        var history2 = SiteHistory(period: 10, chargerIDs: [])
        var none = Fixture.sample(at: Fixture.morning, 1, chargers: 0)
        none.gridCurrent = .absent
        none.gridCurrentMax = .absent
        history2.record(none)
        history2.record(Fixture.sample(at: Fixture.morning + 60, 1, chargers: 0))
        #expect(history2.day.last?.gridCurrent.l1.isNaN == true && history2.day.last?.gridCurrentMax.l3.isNaN == true)
    }

    @Test func minutesWithoutSamplesAreMissingNotFilled() {
        var history = SiteHistory(period: 10, chargerIDs: [])
        history.record(Fixture.sample(at: Fixture.morning, 1, chargers: 0))
        // the service did not sample for ten minutes
        history.record(Fixture.sample(at: Fixture.morning + 600, 2, chargers: 0))
        history.record(Fixture.sample(at: Fixture.morning + 660, 3, chargers: 0))
        #expect(history.day.elements.map(\.time) == [Fixture.morning, Fixture.morning + 600])
        #expect(history.gapAfter(.hour) == 25 && history.gapAfter(.day) == 150)
    }

    @Test func aWallClockSetBackEmptiesTheHistoryAndRepeatsAreDropped() {
        var history = SiteHistory(period: 10, chargerIDs: [])
        for step in 0..<10 { history.record(Fixture.sample(at: Fixture.morning + Double(step) * 10, 1, chargers: 0)) }
        history.record(Fixture.sample(at: Fixture.morning + 90, 5, chargers: 0))
        history.record(Fixture.sample(at: Fixture.morning + 85, 5, chargers: 0))
        #expect(history.hour.count == 10 && history.hour.last?.gridW == 1, "a sample at or before the newest is dropped")
        history.record(Fixture.sample(at: Fixture.morning - 3_600, 7, chargers: 0))
        #expect(history.hour.elements.map(\.gridW) == [7] && history.day.isEmpty)
        #expect(history.newest == Fixture.morning - 3_600)
    }

    @Test func theRangeComesFromTheQueryAndAnythingElseIsTheHour() {
        #expect(HistoryRange(query: "day") == .day)
        #expect(HistoryRange(query: "hour") == .hour)
        for bad in [nil, "", "DAY", "week", "day;", "<script>", String(repeating: "d", count: 10_000)] {
            #expect(HistoryRange(query: bad) == .hour, "\(String(describing: bad?.prefix(20)))")
        }
    }

    @Test func aSampleTakesTheFlowAndEachChargersHighestPhase() {
        let status = Fixture.status(chargers: [Fixture.charger("a", powerW: 7_000, currents: [10, 10, 10]),
                                               Fixture.charger("b", powerW: 2_300, currents: [10, 0, 0]),
                                               Fixture.charger("c", powerW: 3_000, currents: [5, 5, 5], online: false)],
                                    meters: [Fixture.meter("grid", role: "grid", power: 4_000, currents: [20, 9, 8]),
                                             Fixture.meter("pv", role: "pv", power: -6_000)])
        let sample = HistorySample.of(status, time: Fixture.morning, chargerLimit: 2)
        #expect(sample.gridCurrent == .init(l1: 20, l2: 9, l3: 8))
        #expect(sample.gridW == 4_000 && sample.pvW == 6_000 && sample.chargersW == 9_300 && sample.houseW == 700)
        #expect(sample.batteryW.isNaN)
        #expect(sample.chargerCurrents == [10, 10], "the first two chargers only")
        #expect(sample.chargersCurrent == 20, "L1: 10 + 10 of the online chargers")
        let offline = HistorySample.of(status, time: Fixture.morning)
        #expect(offline.chargerCurrents.count == 3 && offline.chargerCurrents[2].isNaN, "an offline charger is a gap, not 0")
    }
}
