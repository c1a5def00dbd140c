import EnergyControl
import Foundation
import StandbyLease
import Testing

/// Two lease machines and a modelled broker (retained leader record, last wills, message
/// latency), through random kills, restarts, network splits and broker restarts: at no moment do
/// both instances steer. The broker here is a model so that thousands of hours run in seconds;
/// the real broker and processes are exercised in the integration tests (StandbyTests).
@Suite("Standby pair under random failures")
struct LeasePairSimulation {
    static let scenarios = ProcessInfo.processInfo.environment["CB_STANDBY_SCENARIOS"].flatMap(Int.init) ?? 300
    static let seed = ProcessInfo.processInfo.environment["CB_PROPERTY_SEED"].flatMap(UInt64.init) ?? 20_261_202
    static let dt = 0.05
    static let lease = 6.0
    /// The broker drops a silent client after 1.5 keepalives (keepalive = the lease).
    static let willAfter = 1.5 * lease

    struct Instance {
        var name: String
        var role: LeaseMachine.Role
        var machine: LeaseMachine
        var alive = true
        var restartAt: Double?
        /// The instance's own view of its connection, and when it will (re)connect.
        var connected = false
        var connectAt: Double? = 0.2
        var partitionedUntil: Double?
        /// While cut off: what it published (reaches the broker late if the connection survives the
        /// cut, or is resent after a reconnect) and what the broker sent it (arrives late or never).
        var pendingOut: [Message] = []
        var pendingIn: [Message] = []
        var healSurvives = false
        var replay: [Message] = []
        var lastPacket = 0.0
        var serving = false
        var stopDoneAt: Double?
        var incarnation = 0
        var brokerHasConnection = false
    }

    enum Message { case leader(LeaseRecord?, retained: Bool = false), handBack(LeaseRecord) }

    struct World {
        var time = 0.0
        var random: SeededRandom
        var brokerUp = true
        var brokerBackAt: Double?
        var retained: LeaseRecord?
        var persistent: Bool
        var instances: [Instance]
        var inbox: [(at: Double, to: Int, message: Message)] = []
        var overlaps: [String] = []
        var takeOvers = 0
        /// What happened, for the report of a failing scenario.
        var trace: [String] = []

        mutating func note(_ text: String) {
            trace.append(String(format: "%7.2f ", time) + text)
            if trace.count > 60 { trace.removeFirst() }
        }

        init(seed: UInt64) {
            random = SeededRandom(seed: seed)
            persistent = Bool.random(using: &random)
            instances = [("a", LeaseMachine.Role.main), ("b", .backup)].map { name, role in
                Instance(name: name, role: role, machine: LeaseMachine(settings: .init(instance: name, role: role, nonce: "\(name)0", lease: LeasePairSimulation.lease)))
            }
        }

        func reachable(_ index: Int) -> Bool {
            let instance = instances[index]
            return brokerUp && instance.alive && instance.brokerHasConnection && instance.partitionedUntil == nil
        }

        mutating func send(_ message: Message, from index: Int) {
            guard instances[index].alive, instances[index].connected else { return }
            if instances[index].partitionedUntil != nil {
                instances[index].pendingOut.append(message)   // stuck in the socket: late, resent or lost
                return
            }
            guard reachable(index) else { return }
            instances[index].lastPacket = time
            if case .leader(let record, _) = message { retained = record }
            for target in instances.indices where instances[target].connected && instances[target].brokerHasConnection && brokerUp {
                if case .handBack = message, target == index { continue }
                if instances[target].partitionedUntil != nil {
                    instances[target].pendingIn.append(message)
                    continue
                }
                let latency = Double.random(in: 0.002...0.08, using: &random)
                let last = inbox.last { $0.to == target }?.at ?? 0
                inbox.append((max(time + latency, last), target, message))
            }
        }

        /// The broker publishes `index`'s last will: the leader topic is cleared, whoever holds it.
        mutating func will(of index: Int) {
            guard instances[index].brokerHasConnection else { return }
            note("will of \(instances[index].name) (broker up \(brokerUp))")
            instances[index].brokerHasConnection = false
            guard brokerUp else { return }
            retained = nil
            for target in instances.indices where reachable(target) && instances[target].connected {
                let last = inbox.last { $0.to == target }?.at ?? 0
                inbox.append((max(time + 0.01, last), target, .leader(nil)))
            }
        }

        mutating func connect(_ index: Int) {
            note("\(instances[index].name) connects; retained \(retained?.instance ?? "none")")
            instances[index].connected = true
            instances[index].brokerHasConnection = true
            instances[index].lastPacket = time
            instances[index].machine.connected(now: time)
            if let retained { inbox.append((time + 0.01, index, .leader(retained, retained: true))) }
            // what was in flight when the old connection died is resent first (QoS 1 semantics: the worst case)
            let replay = instances[index].replay
            instances[index].replay = []
            if !replay.isEmpty { note("\(instances[index].name) resends \(replay.count) old message(s)") }
            for message in replay { send(message, from: index) }
        }

        mutating func drop(_ index: Int) {
            guard instances[index].connected else { return }
            instances[index].connected = false
            instances[index].machine.disconnected(now: time)
            instances[index].pendingIn = []
            inbox.removeAll { $0.to == index }
        }

        mutating func randomFailure() {
            let index = Int.random(in: 0...1, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where instances[index].alive:   // kill -9
                note("kill -9 \(instances[index].name)")
                instances[index].alive = false
                instances[index].serving = false
                instances[index].pendingOut = []
                instances[index].replay = []
                instances[index].stopDoneAt = nil
                drop(index)
                if instances[index].partitionedUntil == nil { will(of: index) }
                instances[index].restartAt = time + Double.random(in: 1...30, using: &random)
            case 1 where instances[index].partitionedUntil == nil && instances[index].alive:   // network split
                instances[index].partitionedUntil = time + Double.random(in: 0.5...40, using: &random)
                instances[index].healSurvives = Bool.random(using: &random)
                note("\(instances[index].name) cut off until \(instances[index].partitionedUntil!)")
            case 2 where brokerUp:   // broker restart
                brokerUp = false
                brokerBackAt = time + Double.random(in: 0.3...30, using: &random)
                note("broker down until \(brokerBackAt!) (persistent \(persistent))")
                if !persistent { retained = nil }
                for i in instances.indices {
                    instances[i].brokerHasConnection = false
                    // the TCP connection closes: the client notices (unless it is cut off)
                    if instances[i].partitionedUntil == nil { drop(i) }
                }
            case 3 where Int.random(in: 0..<4, using: &random) == 0:   // a stranger's tombstone, with a made-up nonce
                let victim = instances[Int.random(in: 0...1, using: &random)]
                let forged = LeaseRecord(instance: victim.name, role: victim.role.rawValue, nonce: "forged", released: true)
                note("a stranger publishes a tombstone for \(victim.name)")
                retained = forged
                for target in instances.indices where reachable(target) && instances[target].connected {
                    inbox.append((time + 0.01, target, .leader(forged)))
                }
            default: break
            }
        }

        mutating func advance() {
            time += LeasePairSimulation.dt
            if let back = brokerBackAt, time >= back {
                brokerUp = true
                brokerBackAt = nil
                for i in instances.indices where instances[i].alive && !instances[i].connected {
                    instances[i].connectAt = time + Double.random(in: 0...1, using: &random)
                }
            }
            for i in instances.indices {
                if let restart = instances[i].restartAt, time >= restart {
                    instances[i].incarnation += 1
                    let name = instances[i].name
                    instances[i].machine = LeaseMachine(settings: .init(instance: name, role: instances[i].role, nonce: "\(name)\(instances[i].incarnation)",
                                                                        lease: LeasePairSimulation.lease))
                    instances[i].alive = true
                    instances[i].restartAt = nil
                    instances[i].connectAt = time + 0.3
                }
                if let until = instances[i].partitionedUntil {
                    // the broker drops a client it has not heard from for 1.5 keepalives and runs its will
                    if instances[i].brokerHasConnection, time - instances[i].lastPacket >= LeasePairSimulation.willAfter { will(of: i) }
                    if time >= until {
                        instances[i].partitionedUntil = nil
                        let stuck = instances[i].pendingOut
                        instances[i].pendingOut = []
                        if instances[i].healSurvives, instances[i].brokerHasConnection, instances[i].connected {
                            // the TCP connection lived through the cut: everything arrives late, in order
                            note("\(instances[i].name) back on the same connection (\(stuck.count) late message(s))")
                            for message in stuck { send(message, from: i) }
                            for message in instances[i].pendingIn {
                                inbox.append((time + Double.random(in: 0.002...0.08, using: &random), i, message))
                            }
                            instances[i].pendingIn = []
                        } else {
                            // the client finds its connection dead and reconnects; the broker drops the old one (its will)
                            drop(i)
                            will(of: i)
                            if Bool.random(using: &random) { instances[i].replay = stuck }
                            if instances[i].alive { instances[i].connectAt = time + Double.random(in: 0.1...3, using: &random) }
                        }
                    }
                }
                if let at = instances[i].connectAt, time >= at, instances[i].alive, brokerUp, instances[i].partitionedUntil == nil {
                    instances[i].connectAt = nil
                    connect(i)
                }
                if let done = instances[i].stopDoneAt, time >= done {
                    instances[i].stopDoneAt = nil
                    instances[i].serving = false
                    instances[i].machine.stopped(now: time)
                }
            }
            deliver()
            for i in instances.indices where instances[i].alive {
                for action in instances[i].machine.tick(now: time) {
                if action != .publishLease || instances[i].machine.phase != .leader { note("\(instances[i].name) \(action) [\(instances[i].machine.phase)]") }
                carryOut(action, by: i)
            }
            }
            if instances.allSatisfy(\.serving) { overlaps.append(String(format: "both steer at %.2f s", time)) }
        }

        mutating func deliver() {
            let due = inbox.filter { $0.at <= time }
            inbox.removeAll { $0.at <= time }
            for item in due where instances[item.to].connected {
                switch item.message {
                case .leader(let record, let stored): instances[item.to].machine.received(record, now: time, retained: stored)
                case .handBack(let record): instances[item.to].machine.handBackRequested(by: record)
                }
            }
        }

        mutating func carryOut(_ action: LeaseMachine.Action, by i: Int) {
            let me = instances[i]
            let record = LeaseRecord(instance: me.name, role: me.role.rawValue, nonce: me.machine.settings.nonce, sent: time)
            switch action {
            case .publishLease: send(.leader(record), from: i)
            case .clearLease:
                var tombstone = record
                tombstone.released = true
                send(.leader(tombstone), from: i)
            case .requestHandBack: send(.handBack(record), from: i)
            case .startServing:
                instances[i].serving = true   // from the decision on, counted as steering (start takes no time here)
                takeOvers += 1
            case .stopServing:
                // the service stops its drivers: up to `stopTime` until it has let go
                instances[i].stopDoneAt = time + Double.random(in: 0.05...instances[i].machine.settings.stopTime, using: &random)
            }
        }
    }

    @Test("no moment where both instances steer, and someone leads again after each failure")
    func neverTwoLeaders() {
        var generator = SeededRandom(seed: Self.seed)
        var problems: [String] = []
        var takeOvers = 0
        for scenario in 0..<Self.scenarios {
            var world = World(seed: generator.next())
            var nextFailure = 20.0
            while world.time < 600 {
                if world.time >= nextFailure, world.time < 540 {
                    world.randomFailure()
                    nextFailure = world.time + Double.random(in: 2...60, using: &world.random)
                }
                world.advance()
                if let first = world.overlaps.first {
                    problems.append("scenario \(scenario): \(first)\n" + world.trace.joined(separator: "\n"))
                    break
                }
            }
            // 60 s after the last failure everything is back: exactly one leads
            let leaders = world.instances.filter(\.serving).count
            if world.overlaps.isEmpty, leaders != 1 { problems.append("scenario \(scenario): \(leaders) leaders at the end") }
            takeOvers += world.takeOvers
        }
        #expect(problems.isEmpty, "\(problems.count) failing, the first:\n\(problems.first ?? "")")
        #expect(takeOvers > Self.scenarios, "the failures caused take-overs (\(takeOvers))")
    }
}
