import StandbyLease
import Testing

/// The lease rules, driven with hand-made observations and time as a number.
@Suite("Standby lease rules")
struct LeaseMachineTests {
    static func machine(_ instance: String, _ role: LeaseMachine.Role, nonce: String = "n1", lease: Double = 6) -> LeaseMachine {
        LeaseMachine(settings: .init(instance: instance, role: role, nonce: nonce, lease: lease))
    }

    static func record(_ machine: LeaseMachine) -> LeaseRecord {
        LeaseRecord(instance: machine.settings.instance, role: machine.settings.role.rawValue, nonce: machine.settings.nonce)
    }

    static func tombstone(_ machine: LeaseMachine) -> LeaseRecord {
        var record = record(machine)
        record.released = true
        return record
    }

    /// Ticks every 0.1 s from `from` to `to`; returns each action with its time. `echo` feeds the
    /// instance's own lease publications back to it, as the broker does.
    static func run(_ machine: inout LeaseMachine, from: Double, to: Double, echo: Bool = true) -> [(Double, LeaseMachine.Action)] {
        var seen: [(Double, LeaseMachine.Action)] = []
        var now = from
        while now <= to + 1e-9 {
            for action in machine.tick(now: now) {
                seen.append((now, action))
                if echo, action == .publishLease { machine.received(record(machine), now: now + 0.01) }
                if echo, action == .clearLease { machine.received(tombstone(machine), now: now + 0.01) }
            }
            now += 0.1
        }
        return seen
    }

    /// The main instance alone on the broker, leading by `time`.
    static func leadingMain(by time: Double) -> LeaseMachine {
        var main = machine("a", .main)
        main.connected(now: 0)
        _ = run(&main, from: 0, to: time)
        return main
    }

    /// A backup alone on the broker, leading by 10 s (nonce "nb").
    static func leadingBackup() -> LeaseMachine {
        var backup = machine("b", .backup, nonce: "nb")
        backup.connected(now: 0)
        _ = run(&backup, from: 0, to: 10)
        return backup
    }

    static func firstStart(_ actions: [(Double, LeaseMachine.Action)]) -> Double? {
        actions.first { if case .startServing = $0.1 { true } else { false } }?.0
    }

    @Test("the main instance alone leads once nobody else can still be steering, and renews every second")
    func mainAlone() {
        var main = Self.machine("a", .main)
        main.connected(now: 0)
        let actions = Self.run(&main, from: 0, to: 10)
        let start = Self.firstStart(actions)
        // claims at 1 s; leads half a lease and a second after connecting (someone cut off may still steer until then)
        #expect(start.map { $0 >= 5 && $0 <= 5.3 } == true, "\(String(describing: start))")
        #expect(main.phase == .leader)
        let renewals = actions.filter { $0.1 == .publishLease && $0.0 > 5.5 }.map(\.0)
        #expect((3...5).contains(renewals.count), "renewed about every second: \(renewals)")
    }

    @Test("a backup alone waits a whole lease before it leads")
    func backupAlone() {
        var backup = Self.machine("b", .backup)
        backup.connected(now: 0)
        let start = Self.firstStart(Self.run(&backup, from: 0, to: 12))
        #expect(start.map { $0 >= 7 && $0 <= 7.5 } == true, "\(String(describing: start))")
    }

    @Test("a backup never leads while the main instance renews; after its will, once it must have stopped")
    func backupWatchesTheMain() {
        var backup = Self.machine("b", .backup)
        let main = LeaseRecord(instance: "a", role: "main", nonce: "m")
        backup.connected(now: 0)
        backup.received(main, now: 0.05)
        var now = 0.0
        while now < 60 {
            if (now * 10).rounded().truncatingRemainder(dividingBy: 10) == 0 { backup.received(main, now: now) }
            #expect(backup.tick(now: now).isEmpty, "at \(now)")
            now += 0.1
        }
        backup.received(nil, now: 60)   // the broker ran the main instance's last will
        // last renewal heard at 59 s: the main instance, if only cut off, let go by 59 + 3 s and stopped by 59 + 5 s
        let actions = Self.run(&backup, from: 60.1, to: 66)
        #expect(actions.first.map { $0.1 == .publishLease && $0.0 >= 63.9 && $0.0 < 64.2 } == true, "\(actions)")
        #expect(Self.firstStart(actions).map { $0 <= 65.3 } == true)
    }

    @Test("a leader that goes unheard for a lease is taken over; a standby without the broker never takes over")
    func missedRenewals() {
        var backup = Self.machine("b", .backup)
        backup.connected(now: 0)
        backup.received(LeaseRecord(instance: "a", role: "main", nonce: "m"), now: 0.5)
        #expect(Self.run(&backup, from: 0.5, to: 6.4).isEmpty)
        let claim = Self.run(&backup, from: 6.5, to: 6.6)
        #expect(claim.first?.1 == .publishLease)

        var cutOff = Self.machine("c", .backup)
        cutOff.connected(now: 0)
        cutOff.received(LeaseRecord(instance: "a", role: "main", nonce: "m"), now: 0.5)
        cutOff.disconnected(now: 1)
        #expect(Self.run(&cutOff, from: 1, to: 120).isEmpty, "no broker, no decision")
        // the broker is back (restarted, without the retained record): the leader gets a lease's time to renew
        cutOff.connected(now: 120)
        #expect(Self.run(&cutOff, from: 120, to: 125.9).isEmpty)
        cutOff.received(LeaseRecord(instance: "a", role: "main", nonce: "m"), now: 126)
        #expect(Self.run(&cutOff, from: 126, to: 131.9).isEmpty)
    }

    @Test("a leader whose renewals stop coming back lets go after half the lease, then clears its record")
    func leaderLosesTheBroker() {
        var main = Self.leadingMain(by: 6)
        #expect(main.phase == .leader)
        let silent = Self.run(&main, from: 6.1, to: 11, echo: false)
        let stop = silent.first { if case .stopServing = $0.1 { true } else { false } }
        #expect(stop.map { $0.0 > 8 && $0.0 <= 9.1 } == true, "\(String(describing: stop))")
        #expect(main.phase == .releasing)
        main.stopped(now: 9.5)
        main.disconnected(now: 10)
        main.connected(now: 20)
        main.received(Self.record(main), now: 20.05)   // the broker kept the record (persistence)
        let back = Self.run(&main, from: 20.1, to: 27)
        #expect(back.first?.1 == .clearLease)
        #expect(Self.firstStart(back) != nil, "no other leader: the main instance leads again")
    }

    @Test("hand-back: the main instance asks, the backup lets go and clears, the main claims")
    func handBack() {
        var backup = Self.leadingBackup()
        #expect(backup.phase == .leader)

        var main = Self.machine("a", .main, nonce: "na")
        main.connected(now: 10)
        main.received(Self.record(backup), now: 10.05)
        let ask = Self.run(&main, from: 10, to: 11.5, echo: false)
        #expect(ask.contains { $0.1 == .requestHandBack })
        #expect(main.phase == .returning)

        backup.handBackRequested(by: Self.record(main))
        #expect(backup.tick(now: 11.6).contains { if case .stopServing = $0 { true } else { false } })
        #expect(backup.tick(now: 11.7).isEmpty, "waits for the service to stop")
        backup.stopped(now: 12)
        #expect(backup.phase == .standby)
        let cleared = Self.run(&backup, from: 12, to: 12.2)
        #expect(cleared.first?.1 == .clearLease)

        main.received(Self.tombstone(backup), now: 12.15)
        let take = Self.run(&main, from: 12.2, to: 14)
        #expect(take.first.map { $0.1 == .publishLease && $0.0 < 12.35 } == true, "the tombstone says the backup stopped: at once")
        #expect(Self.firstStart(take) != nil)
        // the backup sees the main's claim and its renewals, and stays standing by
        var now = 12.25
        while now < 40 {
            backup.received(Self.record(main), now: now)
            #expect(Self.run(&backup, from: now + 0.05, to: now + 0.95).isEmpty)
            now += 1
        }
    }

    @Test("two claims at once: the last record on the topic leads, the other stands by")
    func simultaneousClaims() {
        var main = Self.machine("a", .main, nonce: "na")
        var other = Self.machine("x", .main, nonce: "nx")
        main.connected(now: 0)
        other.connected(now: 0)
        #expect(main.tick(now: 1) == [.publishLease])
        #expect(other.tick(now: 1) == [.publishLease])
        // the broker stored a's claim, then x's: both see them in that order
        main.received(Self.record(main), now: 1.01)
        main.received(Self.record(other), now: 1.02)
        other.received(Self.record(main), now: 1.01)
        other.received(Self.record(other), now: 1.02)
        _ = Self.run(&main, from: 1.1, to: 7, echo: false)
        _ = Self.run(&other, from: 1.1, to: 7)   // its renewals come back; the other instance has stood down
        #expect(main.phase == .standby)
        #expect(other.phase == .leader)
    }


    @Test("a record left by this instance's previous life is cleared, not mistaken for a live leader")
    func previousLife() {
        var main = Self.machine("a", .main, nonce: "new")
        main.connected(now: 0)
        main.received(LeaseRecord(instance: "a", role: "main", nonce: "old"), now: 0.05)
        let actions = Self.run(&main, from: 0, to: 6)
        #expect(actions.first?.1 == .clearLease)
        #expect(Self.firstStart(actions) != nil)
    }

    @Test("after the leader's tombstone (a clean stop) the backup claims at once")
    func cleanStop() {
        var backup = Self.machine("b", .backup)
        let main = LeaseMachine(settings: .init(instance: "a", role: .main, nonce: "m", lease: 6))
        backup.connected(now: 0)
        backup.received(Self.record(main), now: 0.05)
        _ = Self.run(&backup, from: 0, to: 3)
        backup.received(Self.tombstone(main), now: 3.02)
        let actions = Self.run(&backup, from: 3.05, to: 5)
        #expect(actions.first.map { $0.1 == .publishLease && $0.0 < 3.2 } == true)
        #expect(Self.firstStart(actions) != nil)
    }

    @Test("a service that cannot start is retried only after a lease")
    func failedStart() {
        var main = Self.leadingMain(by: 6)
        #expect(main.phase == .leader)
        main.startFailed(now: 6)
        let retry = Self.run(&main, from: 6.1, to: 14)
        #expect(retry.first?.1 == .clearLease, "its record goes: \(retry)")
        let claims = retry.filter { $0.1 == .publishLease }.map(\.0)
        #expect(claims.first.map { $0 >= 12 } == true, "\(claims)")
    }

    /// The main instance feeds `backup`'s renewals to `main` every second in [from, to).
    static func renewals(of backup: LeaseMachine, to main: inout LeaseMachine, from: Double, to: Double) -> [(Double, LeaseMachine.Action)] {
        var seen: [(Double, LeaseMachine.Action)] = []
        var now = from
        while now < to {
            main.received(record(backup), now: now)
            seen += run(&main, from: now + 0.05, to: now + 0.95)
            now += 1
        }
        return seen
    }

    @Test("a claim made while another instance may still steer starts only after its tombstone")
    func claimAgainstALiveLeader() {
        let backup = Self.leadingBackup()
        #expect(backup.phase == .leader)
        var main = Self.machine("a", .main, nonce: "na")
        main.connected(now: 10)
        _ = Self.renewals(of: backup, to: &main, from: 10, to: 12)
        #expect(main.phase == .returning)
        // a stale tombstone of the main instance's own (replayed by its client after a reconnect) empties the topic
        main.received(Self.tombstone(main), now: 12.1)
        let claim = Self.run(&main, from: 12.2, to: 13.5)
        #expect(!claim.contains { if case .startServing = $0.1 { true } else { false } }, "\(claim)")
        // the backup sees the claim, lets go, and leaves its tombstone: only now may the main instance start
        main.received(Self.tombstone(backup), now: 13.6)
        let take = Self.run(&main, from: 13.7, to: 16)
        #expect(Self.firstStart(take).map { $0 < 15 } == true, "\(take)")
    }

    @Test("a tombstone that is not the leader's (another nonce: a stranger's or a previous life's) changes nothing")
    func spoofedTombstone() {
        var backup = Self.machine("b", .backup)
        let main = LeaseMachine(settings: .init(instance: "a", role: .main, nonce: "m", lease: 6))
        backup.connected(now: 0)
        _ = Self.renewals(of: main, to: &backup, from: 0, to: 3)
        var fake = Self.tombstone(main)
        fake.nonce = "forged"
        backup.received(fake, now: 3.05)
        let actions = Self.run(&backup, from: 3.1, to: 7.5)
        #expect(!actions.contains { if case .startServing = $0.1 { true } else { false } }, "\(actions)")
    }

    @Test("the returning main instance clears a replayed record of its own instead of claiming")
    func replayedOwnRecord() {
        let backup = Self.leadingBackup()
        var main = Self.machine("a", .main, nonce: "na")
        main.connected(now: 10)
        _ = Self.renewals(of: backup, to: &main, from: 10, to: 12)
        main.received(Self.record(main), now: 12.1)   // its own claim from before, resent
        let actions = Self.run(&main, from: 12.2, to: 12.5, echo: false)
        #expect(actions.first?.1 == .clearLease)
        #expect(!actions.contains { $0.1 == .publishLease })
    }

    @Test("a leader counts its lease from when a renewal was sent, not from when its echo came back late")
    func lateEchoes() {
        var main = Self.leadingMain(by: 6)
        #expect(main.phase == .leader)
        // from now on each renewal comes back 2.5 s late (the way in is stalled)
        var now = 6.1
        var stop: Double?
        var pending: [(at: Double, record: LeaseRecord)] = []
        while now < 12, stop == nil {
            for item in pending where item.at <= now { main.received(item.record, now: item.at) }
            pending.removeAll { $0.at <= now }
            for action in main.tick(now: now) {
                if action == .publishLease {
                    var record = Self.record(main)
                    record.sent = now
                    pending.append((now + 2.5, record))
                }
                if case .stopServing = action { stop = now }
            }
            now += 0.1
        }
        // its last confirmed renewal was sent at ≈ 6 s: it lets go ≈ 3 s later, not 3 s after the late echo
        #expect(stop.map { $0 < 9.5 } == true, "\(String(describing: stop))")
    }

    @Test("a retained copy of its own record confirms nothing")
    func retainedCopyConfirmsNothing() {
        var main = Self.leadingMain(by: 6)
        main.disconnected(now: 6.5)
        main.connected(now: 7)
        main.received(Self.record(main), now: 7.05, retained: true)
        let actions = Self.run(&main, from: 7.1, to: 10, echo: false)
        #expect(actions.contains { if case .stopServing = $0.1 { true } else { false } }, "\(actions)")
    }
}
