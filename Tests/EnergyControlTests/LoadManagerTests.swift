import Testing
@testable import EnergyControl

/// The load manager with time as a parameter: the manuals' worked examples and the stateful rules.
@Suite("Load manager")
struct LoadManagerTests {
    static func zone(_ id: String, parent: String? = nil, _ amperes: Double, dynamic: Bool = false) -> ZoneSettings {
        var zone = ZoneSettings(id: id, parent: parent, limit: [amperes, amperes, amperes])
        zone.dynamic = dynamic
        return zone
    }

    static func manager(_ zones: [ZoneSettings], configure: (inout LoadSettings) -> Void = { _ in }) -> LoadManager {
        var settings = LoadSettings()
        settings.zones = zones
        configure(&settings)
        return try! LoadManager(settings: settings, siteFuse: false)
    }

    static func ev(_ plug: Int, zone: Int = 0, min: Double = 6, max: Double = 32, drawing: Double? = nil, phases: Int = 3,
                   rotation: PhaseRotation = .rst, online: Bool = true, plugged: Bool = true, energy: Double = 0,
                   failsafe: Seconds? = 10) -> LoadChargerInput {
        let draw = drawing ?? max
        let currents = phases == 1 ? [draw, 0, 0] : [draw, draw, draw]
        return LoadChargerInput(id: "cp\(plug)", plug: plug, zone: zone, rotation: rotation, vehiclePhases: phases, minimum: min,
                                maximum: max, plugged: plugged, online: online, currents: currents, sessionEnergyWh: energy,
                                failsafeTimeout: failsafe)
    }

    static func step(_ manager: inout LoadManager, _ chargers: [LoadChargerInput], now: Seconds = 0, time: LocalTime? = nil,
                     inputs: SiteInputs = SiteInputs(), reductions: [Double] = []) -> [Int] {
        manager.step(now: now, time: time, chargers: chargers, inputs: inputs, reductionPercent: reductions,
                     downgradeOffset: [0, 0, 0], site: nil).map { Int($0.cap.amperes) }
    }

    /// Mennekes use case 2: AMEDIO points on a 100 A supply line charge at full power until the line
    /// is full, then share it.
    @Test func mennekesUseCase2() {
        var manager = Self.manager([Self.zone("line", 100)])
        #expect(Self.step(&manager, (1...3).map { Self.ev($0) }) == [32, 32, 32])
        #expect(Self.step(&manager, (1...4).map { Self.ev($0) }) == [25, 25, 25, 25])
        #expect(Self.step(&manager, (1...8).map { Self.ev($0) }) == Array(repeating: 12, count: 8))
    }

    /// Mennekes use case 3: two supply lines (DLM networks) on one LAN are managed separately; the
    /// operator limit can be lowered at runtime, never above the sub-distribution limit.
    @Test func mennekesUseCase3AndOperatorLimit() throws {
        var manager = Self.manager([Self.zone("network0", 100), Self.zone("network1", 100)])
        let cars = (1...4).map { Self.ev($0, zone: 0) } + [Self.ev(5, zone: 1)]
        #expect(Self.step(&manager, cars) == [25, 25, 25, 25, 32])
        try manager.setOperatorLimit(zone: "network0", [60, 60, 60])
        #expect(Self.step(&manager, cars) == [15, 15, 15, 15, 32])
        #expect(throws: LoadManager.Problem.operatorLimit(zone: "network1")) { try manager.setOperatorLimit(zone: "network1", [120, 100, 100]) }
        #expect(throws: LoadManager.Problem.unknownZone("nope")) { try manager.setOperatorLimit(zone: "nope", [1, 1, 1]) }
        try manager.setOperatorLimit(zone: "network0", nil)
        #expect(Self.step(&manager, cars) == [25, 25, 25, 25, 32])
    }

    /// Schneider §2.6.4: zone 51 A, two Parking T2 (two 6 A sockets each) and a Smart Wallbox (10 A):
    /// scale 1.5 → 9 A per socket and 15 A for the wallbox; when one Parking T2 is disconnected
    /// the others share 51 − 18 = 33 A.
    @Test func schneiderDegradedModeExample() {
        var manager = Self.manager([Self.zone("zone", 51)])
        var chargers = [Self.ev(1), Self.ev(2), Self.ev(3), Self.ev(4), Self.ev(5, min: 10)]
        let out = manager.step(now: 0, time: nil, chargers: chargers, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
        #expect(out.map(\.degraded) == [9, 9, 9, 9, 15])
        chargers[0].online = false
        chargers[1].online = false
        // until their watchdog has moved them to 9 A they may still draw what they had (10 A each)
        let right = Self.step(&manager, chargers, now: 1)
        #expect(right[0] == 0 && right[1] == 0)
        #expect(right[2...].reduce(0, +) <= 51 - 20)
        let later = Self.step(&manager, chargers, now: 12)
        #expect(manager.reports[0].available == [33, 33, 33])
        #expect(later == [0, 0, 11, 11, 11])
    }

    /// A degraded setpoint never exceeds what the charger itself may carry (one 6 A charger in 100 A).
    @Test func degradedSetpointsStayWithinTheChargersOwnLimit() {
        var manager = Self.manager([Self.zone("zone", 100)])
        var charger = Self.ev(1)
        charger.ceiling = 16
        let out = manager.step(now: 0, time: nil, chargers: [charger], inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
        #expect(out[0].degraded == 16)
    }

    @Test func degradedSetpointsLeaveTheZoneHeadroom() {
        // a 32 A zone with 4 A headroom gives its EV at most 28 A; the fallback it is told must not be more
        var zone = Self.zone("zone", 32)
        zone.headroom = [4, 4, 4]
        var manager = Self.manager([zone])
        let out = manager.step(now: 0, time: nil, chargers: [Self.ev(1)], inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
        #expect(out[0].cap.amperes == 28)
        #expect(out[0].degraded == 28)
    }

    /// A time-of-use slot past midnight belongs to the day it started on.
    @Test func aTimeOfUseSlotPastMidnightCountsForTheDayItStarted() throws {
        let tou = try TimeOfUse(periods: [.init(name: "night", percent: 50, slots: [.init(window: DailyWindow("22:00-06:00")!, weekdays: [5])])])
        #expect(tou.percent(at: LocalTime(weekday: 5, secondOfDay: 23 * 3600)) == 50)     // Friday 23:00
        #expect(tou.percent(at: LocalTime(weekday: 6, secondOfDay: 2 * 3600)) == 50)      // Saturday 02:00
        #expect(tou.percent(at: LocalTime(weekday: 5, secondOfDay: 2 * 3600)) == 100)     // Friday 02:00: Thursday's night
    }

    /// The tariff period a session's energy is billed in: the one applied (lowest percent) where
    /// periods overlap, none in uncovered time, a night slot on the day it started.
    @Test func theBilledPeriodIsTheOneInForce() throws {
        let tou = try TimeOfUse(periods: [
            .init(name: "day", percent: 90, slots: [.init(window: DailyWindow("08:00-20:00")!, weekdays: [1, 2, 3, 4, 5])]),
            .init(name: "peak", percent: 60, slots: [.init(window: DailyWindow("17:00-19:00")!, weekdays: [1, 2, 3, 4, 5])]),
            .init(name: "night", percent: 100, slots: [.init(window: DailyWindow("22:00-06:00")!, weekdays: [5])]),
        ])
        #expect(tou.period(at: LocalTime(weekday: 2, secondOfDay: 10 * 3600)) == "day")
        #expect(tou.period(at: LocalTime(weekday: 2, secondOfDay: 18 * 3600)) == "peak")
        #expect(tou.period(at: LocalTime(weekday: 2, secondOfDay: 21 * 3600)) == nil)
        #expect(tou.period(at: LocalTime(weekday: 6, secondOfDay: 2 * 3600)) == "night")   // Friday's night
        #expect(tou.period(at: LocalTime(weekday: 6, secondOfDay: 10 * 3600)) == nil)      // Saturday
    }

    @Test func degradedSetpointsAreZeroInDynamicZonesAndWhenTheMinimumsDoNotFit() {
        var manager = Self.manager([Self.zone("zone", 51, dynamic: true)])
        let out = manager.step(now: 0, time: nil, chargers: [Self.ev(1), Self.ev(2)], inputs: SiteInputs(), reductionPercent: [],
                               downgradeOffset: [0, 0, 0], site: nil)
        #expect(out.map(\.degraded) == [0, 0])
        let tree = try! ZoneTree([.init(id: "a", limit: [10, 10, 10])])
        #expect(DegradedMode.setpoints(tree: tree, limits: [[10, 10, 10]], dynamic: [false],
                                       chargers: [(0, .rst, 3, 6, 32), (0, .rst, 3, 6, 32)]) == [0, 0])     // 10 / 12 < 1
    }

    /// Schneider §3.9.5 summary: nominal 150 A, on-peak 90 % → 135 A; a zone with on-peak disabled keeps 150 A.
    @Test func schneiderTimeOfUseSummary() throws {
        var onPeakOff = Self.zone("2nd floor", 150)
        onPeakOff.disabledPeriods = [0]
        let tou = try TimeOfUse(periods: [
            .init(name: "on-peak", percent: 90, slots: [.init(window: DailyWindow("08:00-20:00")!, weekdays: [1, 2, 3, 4, 5])]),
            .init(name: "off-peak", percent: 100, slots: [.init(window: DailyWindow("20:00-08:00")!, weekdays: [1, 2, 3, 4, 5, 6, 7])]),
        ])
        var manager = Self.manager([Self.zone("1st floor", 150), onPeakOff]) { $0.timeOfUse = tou }
        let tuesdayNoon = LocalTime(weekday: 2, secondOfDay: 12 * 3600)
        _ = Self.step(&manager, [], time: tuesdayNoon)
        #expect(manager.reports.map(\.available) == [[135, 135, 135], [150, 150, 150]])
        #expect(manager.reports.map(\.percent) == [90, 100])
        _ = Self.step(&manager, [], time: LocalTime(weekday: 6, secondOfDay: 12 * 3600))   // Saturday: uncovered
        #expect(manager.reports[0].available == [150, 150, 150])
        #expect(throws: TimeOfUse.Problem.tooManyPeriods(6)) {
            try TimeOfUse(periods: (0..<6).map { .init(name: "p\($0)", percent: 50, slots: [.init(window: DailyWindow(start: 0, end: 60), weekdays: [1])]) })
        }
    }

    /// SPEC §7 digital-input examples at zone level: nominal 100 A; DI 70 % with 90 A dynamic → 70 A;
    /// DI 70 % with 50 A dynamic → 50 A; DI 10 % with a 30 A degraded setpoint → 10 A. A DI wins over time of use.
    @Test func digitalInputReductionsAtZoneLevel() throws {
        var zone = Self.zone("zone", 100, dynamic: true)
        zone.meterIncludesChargers = false
        zone.degradedLimit = [30, 30, 30]
        let tou = try TimeOfUse(periods: [.init(name: "all", percent: 20, slots: [.init(window: DailyWindow(start: 0, end: 0), weekdays: Set(1...7))])])
        var manager = Self.manager([zone]) { $0.timeOfUse = tou }
        var di = SiteInputs()
        di.reductions = [0]
        let time = LocalTime(weekday: 1, secondOfDay: 0)
        manager.record(zone: 0, GridSample(time: 0, currents: [10, 10, 10], power: 0))       // other loads 10 A → 90 A dynamic
        _ = Self.step(&manager, [], time: time, inputs: di, reductions: [70])
        #expect(manager.reports[0].available == [70, 70, 70])
        manager.record(zone: 0, GridSample(time: 1, currents: [50, 50, 50], power: 0))       // 50 A dynamic
        _ = Self.step(&manager, [], now: 1, time: time, inputs: di, reductions: [70])
        #expect(manager.reports[0].available == [50, 50, 50])
        _ = Self.step(&manager, [], now: 10, time: time, inputs: di, reductions: [10])        // meter lost: degraded 30 A
        #expect(manager.reports[0].mode == .degraded)
        #expect(manager.reports[0].available == [10, 10, 10])
        _ = Self.step(&manager, [], now: 10, time: time)                                     // no DI: time of use 20 % applies
        #expect(manager.reports[0].available == [20, 20, 20])
    }

    /// Circontrol §3.2: pause the highest plug first, resume the lowest first (the reverse order).
    @Test func pauseAndResumeOrderByPlugId() {
        var manager = Self.manager([Self.zone("zone", 100)])
        let cars = (1...4).map { Self.ev($0) }
        #expect(Self.step(&manager, cars) == [25, 25, 25, 25])
        manager.record(zone: 0, GridSample(time: 0, currents: [0, 0, 0], power: 0))
        try! manager.setOperatorLimit(zone: "zone", [13, 13, 13])
        #expect(Self.step(&manager, cars, now: 1) == [6, 6, 0, 0])
        #expect(manager.pauseSequence == ["cp4", "cp3"])
        try! manager.setOperatorLimit(zone: "zone", [7, 7, 7])
        #expect(Self.step(&manager, cars, now: 2) == [7, 0, 0, 0])
        #expect(manager.pauseSequence == ["cp4", "cp3", "cp2"])
        try! manager.setOperatorLimit(zone: "zone", [12, 12, 12])
        #expect(Self.step(&manager, cars, now: 3) == [6, 6, 0, 0])             // cp2, the last paused, resumes first
        try! manager.setOperatorLimit(zone: "zone", [18, 18, 18])
        #expect(Self.step(&manager, cars, now: 4) == [6, 6, 6, 0])
    }

    /// Schneider §1.1.1.1: with "most energy first" the paused set is decided afresh every 15 minutes,
    /// so paused vehicles get their turn.
    @Test func pauseRotationEveryFifteenMinutes() {
        var manager = Self.manager([Self.zone("zone", 12)]) { $0.pauseOrder = .mostEnergyFirst }
        var cars = [Self.ev(1, energy: 5000), Self.ev(2, energy: 1000), Self.ev(3, energy: 3000)]
        #expect(Self.step(&manager, cars) == [0, 6, 6])
        cars[1].sessionEnergyWh = 6000                       // car 2 has caught up…
        cars[2].sessionEnergyWh = 5500
        #expect(Self.step(&manager, cars, now: 600) == [0, 6, 6])     // …but the pause holds until the rotation
        #expect(Self.step(&manager, cars, now: 900) == [6, 0, 6])
    }

    /// State B [Circontrol §7.4.4]: a car offered current that does not draw is queued after the
    /// waiting time, tried again after the retry period, and gets only leftovers once out of retries.
    @Test func stateBQueuesWithRetries() {
        var manager = Self.manager([Self.zone("zone", 16)]) {
            $0.demand.waitingTime = 60
            $0.demand.retryPeriod = 30
            $0.demand.retries = 1
        }
        let idle = Self.ev(1, drawing: 0), busy = Self.ev(2, drawing: 8)
        #expect(Self.step(&manager, [idle, busy]) == [8, 8])
        #expect(Self.step(&manager, [idle, busy], now: 1) == [8, 8])          // offered 8 A, draws nothing: waiting from here
        #expect(Self.step(&manager, [idle, busy], now: 60) == [8, 8])
        let queued = manager.step(now: 61, time: nil, chargers: [idle, busy], inputs: SiteInputs(), reductionPercent: [],
                                  downgradeOffset: [0, 0, 0], site: nil)
        #expect(queued.map(\.cap) == [CurrentCap(0, .queued), CurrentCap(16, .zone)])
        #expect(Self.step(&manager, [idle, busy], now: 90) == [0, 16])
        #expect(Self.step(&manager, [idle, busy], now: 91) == [8, 8])          // retry
        #expect(Self.step(&manager, [idle, busy], now: 92) == [8, 8])
        #expect(Self.step(&manager, [idle, busy], now: 152) == [0, 16])        // queued again
        #expect(Self.step(&manager, [idle, busy], now: 500) == [0, 16])        // no retries left
        let sharer = Self.ev(2, max: 10, drawing: 8)
        #expect(Self.step(&manager, [idle, sharer], now: 501) == [6, 10])      // leftovers only
        #expect(Self.step(&manager, [Self.ev(1, drawing: 6), busy], now: 502) == [8, 8])   // drawing again: back in
    }

    /// An EV drawing less than it is given (tapering) is held at its draw + margin; the rest goes to the others.
    @Test func undrawnCurrentIsRedistributed() {
        var manager = Self.manager([Self.zone("zone", 32)]) { $0.demand.lowConsumptionDelay = 30 }
        var cars = [Self.ev(1, drawing: 16), Self.ev(2, drawing: 16)]
        #expect(Self.step(&manager, cars) == [16, 16])
        cars[0].currents = [7, 7, 7]                       // tapering
        #expect(Self.step(&manager, cars, now: 10) == [16, 16])
        let out = manager.step(now: 40, time: nil, chargers: cars, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
        // until the lower setpoint lands the held car may still draw 16 A: the rest is given a step later
        #expect(out.map(\.cap) == [CurrentCap(9, .lowConsumption), CurrentCap(16, .zone)])
        #expect(Self.step(&manager, cars, now: 41) == [9, 23])
        cars[0].currents = [9, 9, 9]                       // takes what it gets: released
        #expect(Self.step(&manager, cars, now: 42) == [16, 16])
    }

    /// Circontrol DLM §7.4.4: an EV charging below 6 A for the delay is queued like one in state B —
    /// its share goes to the others — offered its share again after the retry period, and back at
    /// once when it draws 6 A or more.
    @Test func aLowConsumerIsQueuedAndComesBackWhenItDraws() {
        var manager = Self.manager([Self.zone("zone", 16)]) {
            $0.demand.lowConsumptionQueues = true
            $0.demand.lowConsumptionDelay = 30
            $0.demand.retryPeriod = 60
            $0.demand.stateBDetection = false
        }
        var cars = [Self.ev(1, max: 16, drawing: 8), Self.ev(2, max: 16, drawing: 8)]
        #expect(Self.step(&manager, cars) == [8, 8])
        cars[0].currents = [3, 3, 3]                                   // nearly full: 3 A
        #expect(Self.step(&manager, cars, now: 10) == [8, 8])           // not yet: the delay runs
        var shares: [LoadChargerOutput] = []
        for now in stride(from: 40.0, through: 45, by: 1) {
            shares = manager.step(now: now, time: nil, chargers: cars, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
        }
        #expect(shares[0].cap.reason == .queued && shares[1].cap.amperes > 8, "\(shares.map(\.cap))")
        #expect(shares.reduce(0) { $0 + $1.cap.amperes } <= 16)
        // after the retry period it is offered its share again
        let retried = manager.step(now: 101, time: nil, chargers: cars, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)
        #expect(retried[0].cap.reason != .queued, "\(retried.map(\.cap))")
        // still below 6 A with its share: queued again after the delay; then it draws 7 A: back at once
        for now in stride(from: 102.0, through: 140, by: 1) { _ = Self.step(&manager, cars, now: now) }
        #expect(manager.step(now: 141, time: nil, chargers: cars, inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)[0].cap.reason == .queued)
        cars[0].currents = [7, 7, 7]
        #expect(Self.step(&manager, cars, now: 142) == [8, 8])
    }

    /// Circontrol §7.4.2 states.
    @Test func zoneStates() {
        var manager = Self.manager([Self.zone("zone", 40)])
        _ = Self.step(&manager, [Self.ev(1)])
        #expect(manager.reports[0].state == .availablePower)
        _ = Self.step(&manager, [Self.ev(1), Self.ev(2)])
        #expect(manager.reports[0].state == .powerDecreasing)               // 20 + 20, a third still fits at 6 A
        _ = Self.step(&manager, (1...6).map { Self.ev($0) })
        #expect(manager.reports[0].state == .limitedPower)                   // 6 × 6 = 36: a seventh would wait
        _ = Self.step(&manager, (1...8).map { Self.ev($0) })
        #expect(manager.reports[0].state == .powerExceeded)
        try! manager.setOperatorLimit(zone: "zone", [5, 5, 5])
        _ = Self.step(&manager, [Self.ev(1)])
        #expect(manager.reports[0].state == .unavailablePower)
    }

    /// Mennekes §8: the phase currents at the connection point may differ by at most 20 A.
    @Test func unbalancedLoadPrevention() {
        var zone = Self.zone("zone", 63)
        zone.imbalanceLimit = 20
        var manager = Self.manager([zone])
        // three single-phase cars on L1 would take 63 A on L1 and nothing elsewhere
        let cars = [Self.ev(1, phases: 1), Self.ev(2, phases: 1), Self.ev(3, phases: 1), Self.ev(4, drawing: 10)]
        let shares = Self.step(&manager, cars)
        let l1 = shares[0...2].reduce(0, +) + shares[3], l2 = shares[3]
        #expect(l1 - l2 <= 20)
        #expect(shares[3] > 0)
        #expect(shares == [6, 6, 6, 32])        // 18 + 32 on L1, 32 on L2 and L3
        // a zone without a limit lets them unbalance it
        var free = Self.manager([Self.zone("zone", 63)])
        #expect(Self.step(&free, cars) == [15, 15, 15, 15])
    }

    /// EVC08 §17: charging starts only off-peak, after a random delay; a forced charge cancels both;
    /// at the end of off-peak a session stops after a random delay unless it may continue.
    @Test func offPeakWithRandomisedDelay() {
        var settings = OffPeakSettings()
        settings.randomDelayMax = 600
        var gate = OffPeakGate()
        var random = Draws([0.5, 0.1])       // 300 s to start, 60 s to stop; nothing else is drawn
        let peak = LocalTime(weekday: 2, secondOfDay: 17 * 3600)
        let offPeak = LocalTime(weekday: 2, secondOfDay: 22 * 3600)
        #expect(gate.hold(forced: false, time: peak, now: 0, settings: settings, random: &random) == .waitingForOffPeak)
        #expect(gate.hold(forced: true, time: peak, now: 1, settings: settings, random: &random) == .none)
        #expect(gate.hold(forced: false, time: offPeak, now: 100, settings: settings, random: &random) == .randomDelay(until: 400))
        #expect(gate.hold(forced: false, time: offPeak, now: 399, settings: settings, random: &random) == .randomDelay(until: 400))
        #expect(gate.hold(forced: false, time: offPeak, now: 400, settings: settings, random: &random) == .none)
        // 08:00 the next day: off-peak ends; the stop is delayed by a fresh random draw
        let morning = LocalTime(weekday: 3, secondOfDay: 8 * 3600)
        #expect(gate.hold(forced: false, time: morning, now: 40_000, settings: settings, random: &random) == .none)
        #expect(gate.hold(forced: false, time: morning, now: 40_060, settings: settings, random: &random) == .waitingForOffPeak)
        // continue after off-peak
        settings.continueAfterOffPeak = true
        var continuing = OffPeakGate()
        var none = Draws([0])
        _ = continuing.hold(forced: false, time: offPeak, now: 0, settings: settings, random: &none)
        #expect(continuing.hold(forced: false, time: morning, now: 10, settings: settings, random: &none) == .none)
        #expect(OffPeakSettings().isOffPeak(LocalTime(weekday: 1, secondOfDay: 12 * 3600)))
        #expect(random.drawn == 2)
        #expect(!OffPeakSettings().isOffPeak(LocalTime(weekday: 6, secondOfDay: 9 * 3600)))
    }

    @Test func offPeakHoldsChargersInTheLoadManager() {
        var manager = Self.manager([Self.zone("zone", 32)]) { $0.offPeak = OffPeakSettings() }
        let peak = LocalTime(weekday: 2, secondOfDay: 17 * 3600)
        let out = manager.step(now: 0, time: peak, chargers: [Self.ev(1)], inputs: SiteInputs(), reductionPercent: [],
                               downgradeOffset: [0, 0, 0], site: nil)
        #expect(out[0].cap == CurrentCap(0, .offPeak))
        var forced = Self.ev(1)
        forced.forced = true
        #expect(Self.step(&manager, [forced], now: 1, time: peak) == [32])
    }

    /// Vestel EVC08 §16.2: off-peak driven by the utility's meter (Linky TIC). The tariff it counts
    /// decides; HC/HP 1/2 and Tempo 1…6 (HC odd); the clock windows stand in while it is unknown.
    @Test func offPeakFollowsTheMetersTariffAndTheClockWhileItIsUnknown() {
        var settings = OffPeakSettings()
        settings.randomDelayMax = 0
        settings.tariffSignal = .init(meter: "linky")
        let afternoonPeak = LocalTime(weekday: 2, secondOfDay: 17 * 3600)   // peak by the windows
        let nightOffPeak = LocalTime(weekday: 2, secondOfDay: 23 * 3600)
        #expect(settings.isOffPeak(afternoonPeak, tariff: 1))             // HC by the meter, whatever the clock
        #expect(!settings.isOffPeak(nightOffPeak, tariff: 2))             // HP by the meter
        #expect(settings.isOffPeak(nightOffPeak, tariff: 5) && !settings.isOffPeak(nightOffPeak, tariff: 6))   // Tempo red HC / HP
        #expect(!settings.isOffPeak(afternoonPeak, tariff: nil) && settings.isOffPeak(nightOffPeak, tariff: nil))   // unknown: the windows
        #expect(settings.isOffPeak(afternoonPeak, tariff: .nan) == false)
        settings.tariffSignal?.offPeakTariffs = [1, 3]                     // no charging on Tempo red days
        #expect(!settings.isOffPeak(nightOffPeak, tariff: 5))
        // in the load manager the site's inputs carry the tariff
        var manager = Self.manager([Self.zone("zone", 32)]) { $0.offPeak = settings }
        var inputs = SiteInputs()
        inputs.tariff = 2
        let held = manager.step(now: 0, time: nightOffPeak, chargers: [Self.ev(1)], inputs: inputs, reductionPercent: [],
                                downgradeOffset: [0, 0, 0], site: nil)
        #expect(held[0].cap == CurrentCap(0, .offPeak))
        inputs.tariff = 1
        let charging = manager.step(now: 1, time: afternoonPeak, chargers: [Self.ev(1)], inputs: inputs, reductionPercent: [],
                                    downgradeOffset: [0, 0, 0], site: nil)
        #expect(charging[0].cap.reason != .offPeak, "\(charging[0].cap)")
    }

    /// UK smart charging (Vestel EVC08 §16.1, §17): every session starts after a random delay below
    /// the maximum, drawn once when the car arrives and published; a forced charge skips it.
    @Test func everySessionStartsAfterARandomDelay() {
        var manager = Self.manager([Self.zone("zone", 32)]) { $0.sessionRandomDelayMax = 600 }
        func out(_ now: Double, _ car: LoadChargerInput = Self.ev(1)) -> LoadChargerOutput {
            manager.step(now: now, time: nil, chargers: [car], inputs: SiteInputs(), reductionPercent: [], downgradeOffset: [0, 0, 0], site: nil)[0]
        }
        _ = out(0, Self.ev(1, plugged: false))
        let held = out(10)
        let until = held.delayedUntil ?? -1
        #expect(held.cap == CurrentCap(0, .randomDelay) && until > 0 && until < 600, "\(held)")
        #expect(out(until - 0.5).delayedUntil == until)                    // drawn once, not again every step
        #expect(out(until).cap.reason != .randomDelay && out(until + 1).delayedUntil == nil)
        // unplugged and back: a fresh draw; a forced charge does not wait
        _ = out(700, Self.ev(1, plugged: false))
        let again = out(701)                                               // (the seeded draw is not under 1 s)
        #expect(again.cap.reason == .randomDelay && (again.delayedUntil ?? 0) > 701 && (again.delayedUntil ?? .infinity) < 1300, "\(again)")
        var forced = Self.ev(1)
        forced.forced = true
        _ = out(800, Self.ev(1, plugged: false))
        #expect(out(801, forced).cap.reason != .randomDelay)
    }

    /// Circontrol DLM §7.3.2/§7.4.2: per phase, the plugs that want current, charging and paused,
    /// the current shared out, and who pauses or resumes next.
    @Test func aZoneReportsEachPhaseAndWhoPausesOrResumesNext() {
        var manager = Self.manager([Self.zone("zone", 16)])
        // three three-phase cars and a single-phase one on L1 under 16 A: not everyone fits at 6 A
        let cars = [Self.ev(1), Self.ev(2), Self.ev(3), Self.ev(4, phases: 1)]
        let shares = Self.step(&manager, cars)
        let report = manager.reports[0]
        #expect(report.phases.map(\.plugs) == [4, 3, 3])
        #expect(report.phases.map { $0.charging + $0.paused } == report.phases.map(\.plugs))
        #expect(zip(report.phases, [0, 1, 2]).allSatisfy { phase, index in abs(phase.shared - report.allocated[index]) < 1e-9 })
        #expect(report.phases.allSatisfy { $0.buildingLoad == nil })          // a static zone has no meter
        let charging = zip(cars, shares).filter { $1 > 0 }.map { $0.0.id }, paused = zip(cars, shares).filter { $1 == 0 }.map { $0.0.id }
        #expect(!paused.isEmpty && report.phases[0].paused == paused.count, "\(shares)")
        // the highest plug among those charging pauses first; of those paused, the lowest plug resumes first
        #expect(report.nextToPause == charging.max { Int($0.dropFirst(2))! < Int($1.dropFirst(2))! })
        #expect(report.nextToResume == paused.min { Int($0.dropFirst(2))! < Int($1.dropFirst(2))! })
    }

    /// Priority chargers or id tags are served first, only within their weekly hours when a schedule is set.
    @Test func priorityTagsWithinTheirHours() {
        var manager = Self.manager([Self.zone("zone", 40)]) {
            $0.priorityTags = ["VIP-1"]
            $0.prioritySchedule = WeeklyHours(hours: Set(7..<19))                 // Monday 07–19
        }
        var vip = Self.ev(2)
        vip.idTag = "VIP-1"
        let monday = LocalTime(weekday: 1, secondOfDay: 9 * 3600), tuesday = LocalTime(weekday: 2, secondOfDay: 9 * 3600)
        #expect(Self.step(&manager, [Self.ev(1), vip], time: monday) == [8, 32])
        #expect(Self.step(&manager, [Self.ev(1), vip], time: tuesday) == [20, 20])
    }

    @Test func zonesAreValidated() {
        #expect(throws: LoadManager.Problem.unknownParent(zone: "b", parent: "x")) {
            try LoadManager(settings: { var s = LoadSettings(); s.zones = [Self.zone("a", 10), Self.zone("b", parent: "x", 5)]; return s }(), siteFuse: true)
        }
        #expect(throws: LoadManager.Problem.tree(.aboveParent("b", phase: 0))) {
            try LoadManager(settings: { var s = LoadSettings(); s.zones = [Self.zone("a", 10), Self.zone("b", parent: "a", 12)]; return s }(), siteFuse: true)
        }
        #expect(throws: LoadManager.Problem.tree(.tooDeep("d"))) {
            try LoadManager(settings: { var s = LoadSettings()
                s.zones = [Self.zone("a", 10), Self.zone("b", parent: "a", 9), Self.zone("c", parent: "b", 8), Self.zone("d", parent: "c", 7)]
                return s }(), siteFuse: true)
        }
    }
}

/// Random numbers in [0, 1) given in advance (the off-peak delays they produce are known).
struct Draws: RandomNumberGenerator {
    var fractions: [Double]
    var drawn = 0
    init(_ fractions: [Double]) { self.fractions = fractions }
    mutating func next() -> UInt64 {
        let fraction = fractions[drawn % fractions.count]
        drawn += 1
        return UInt64(fraction * 9_007_199_254_740_992)      // Double.random reads the low 53 bits as the fraction
    }
}
