import EnergyControl

/// A charger's charging plan as an operator asks for it (MQTT `plan/set`).
public struct PlanCommand: Sendable, Equatable {
    public enum Goal: Sendable, Equatable {
        /// This much more energy by the departure.
        case energy(kWh: Double)
        /// The session's energy reaches this by the departure.
        case target(kWh: Double)
    }

    public var goal: Goal
    /// Unix seconds.
    public var departure: Double
    public var objective: ChargePlanRequest.Objective
    public init(goal: Goal, departure: Double, objective: ChargePlanRequest.Objective = .cost) {
        self.goal = goal
        self.departure = departure
        self.objective = objective
    }

    /// The longest plan taken: as long as the longest price series.
    public static let horizon = PriceSeries.maxDays * 86_400
    /// The most energy a plan takes, kWh.
    public static let mostKWh = 500.0
}

/// A charger's plan in force: the command, the session energy it aims at, and the plan made for
/// it, made again at every slot boundary (from the energy the session really has) and whenever the
/// prices change.
struct PlanState: Sendable, Equatable {
    var command: PlanCommand
    /// The session energy to reach, kWh; fixed once a vehicle is plugged in.
    var target: Double?
    var plan: ChargePlan?
    /// Wall time of the next boundary: the plan is made again then.
    var replanAt = -Double.infinity
    var sawVehicle = false

    /// What is saved of it (the plan itself is made again after a restart).
    var saved: RuntimeSettings.Plan {
        let (goal, kWh) = switch command.goal {
        case .energy(let kWh): ("energy", kWh)
        case .target(let kWh): ("target", kWh)
        }
        return RuntimeSettings.Plan(goal: goal, kWh: kWh, departure: command.departure, objective: command.objective.rawValue, target: target)
    }

    /// A saved plan as a command, or why it cannot be taken any more.
    static func restored(_ saved: RuntimeSettings.Plan) -> Result<PlanState, CommandRejection> {
        guard saved.kWh.isFinite, saved.kWh > 0, saved.kWh <= PlanCommand.mostKWh, saved.departure.isFinite else {
            return .failure(CommandRejection("\(saved.kWh) kWh is no energy to plan"))
        }
        guard let objective = ChargePlanRequest.Objective(rawValue: saved.objective) else { return .failure(CommandRejection("unknown objective \(saved.objective)")) }
        let goal: PlanCommand.Goal
        switch saved.goal {
        case "energy": goal = .energy(kWh: saved.kWh)
        case "target": goal = .target(kWh: saved.kWh)
        default: return .failure(CommandRejection("unknown goal \(saved.goal)"))
        }
        var state = PlanState(command: PlanCommand(goal: goal, departure: saved.departure, objective: objective))
        if let target = saved.target, target.isFinite, target >= 0 {
            // the vehicle was plugged in when it was saved: the plan ends once it is seen gone
            state.target = target
            state.sawVehicle = true
        }
        return .success(state)
    }
}

extension ControlCore {
    /// A price series (nil: none any more); every plan is made again at the next step.
    public mutating func setPrices(_ series: PriceSeries?) {
        prices = series
        for index in plans.keys { plans[index]?.plan = nil }
    }

    /// Saved plans put back at start: one whose departure has passed (or whose charger is gone) is dropped with a line.
    mutating func restorePlans(_ saved: [String: RuntimeSettings.Plan], wall: Double?) -> [CoreLog] {
        var logs: [CoreLog] = []
        for (id, plan) in saved.sorted(by: { $0.key < $1.key }) {
            guard let index = chargerIndex[id] else {
                logs.append(CoreLog(.warning, "runtime state: no charger \"\(id)\" any more; its plan is dropped"))
                continue
            }
            if let wall, plan.departure <= wall {
                logs.append(CoreLog(.notice, "runtime state: the plan's departure has passed while stopped; the plan is dropped", charger: id))
                continue
            }
            switch PlanState.restored(plan) {
            case .success(let state):
                plans[index] = state
                refreshView(index)
            case .failure(let problem):
                logs.append(CoreLog(.warning, "runtime state: plan dropped: \(problem)", charger: id))
            }
        }
        return logs
    }

    /// The price of the slot in force at the last step (nil: no series covers it).
    public var currentPrice: Double? { lastWall.flatMap { prices?.slot(at: $0)?.price } }

    /// Takes or clears a charger's plan after checking its departure against the last step's wall time.
    mutating func setPlan(_ index: Int, _ command: PlanCommand?) throws(CommandRejection) -> String {
        guard let command else {
            plans[index] = nil
            return "plan cleared"
        }
        if let wall = lastWall {
            guard command.departure > wall else { throw CommandRejection("the departure is not in the future") }
            guard command.departure <= wall + PlanCommand.horizon else { throw CommandRejection("the departure is more than 7 days ahead") }
        }
        plans[index] = PlanState(command: command)
        let goal = switch command.goal {
        case .energy(let kWh): "\(formatAmperes(kWh)) kWh more"
        case .target(let kWh): "a session of \(formatAmperes(kWh)) kWh"
        }
        let hours = lastWall.map { " in \(formatAmperes(((command.departure - $0) / 360).rounded() / 10)) h" } ?? ""
        return "plan: \(goal) by the departure\(hours), cheapest \(command.objective == .co2 ? "CO₂" : "price") first"
    }

    /// The plan's current for this step (nil: no plan, or a forced charge overrides it). Ends a plan
    /// at its departure or when its vehicle leaves; makes it again at each slot boundary.
    mutating func planLimit(_ index: Int, status: ChargerStatus, wall: Double, forced: Bool, into logs: inout [CoreLog]) -> Int? {
        guard var state = plans[index] else { return nil }
        let before = state.plan
        let charger = settings.chargers[index]
        // (a charger out of contact says nothing of its vehicle: after a restart it is not read yet)
        let ended = wall >= state.command.departure ? "the departure is reached" : state.sawVehicle && status.online && !status.plugged ? "the vehicle left" : nil
        if let ended {
            plans[index] = nil
            settingsChanged = true
            logs.append(CoreLog(.notice, "plan ended: \(ended)", charger: charger.id))
            refreshView(index)
            return nil
        }
        let delivered = status.plugged ? status.sessionEnergyWh / 1000 : 0
        if status.plugged, !state.sawVehicle {
            state.sawVehicle = true
            settingsChanged = true      // the session target is saved, so a restart does not count the energy again
            state.target = switch state.command.goal {
            case .energy(let kWh): delivered + kWh
            case .target(let kWh): kWh
            }
            state.plan = nil
        }
        if state.plan == nil || wall >= state.replanAt {
            let goal: ChargePlanRequest.Goal = switch (state.target, state.command.goal) {
            case (let target?, _): .target(kWh: target, delivered: delivered)
            case (nil, .energy(let kWh)): .energy(kWh: kWh)
            case (nil, .target(let kWh)): .target(kWh: kWh, delivered: 0)
            }
            let phases = status.plugged && status.activePhases > 0 ? status.activePhases : charger.limits.phases
            let fuse = settings.site.fuse.limit?.min().map { $0 * Double(phases) * settings.site.voltage } ?? .infinity
            let request = ChargePlanRequest(goal: goal, departure: state.command.departure, maxCurrent: charger.limits.ceiling,
                                            minCurrent: charger.limits.minCurrent, phases: phases, voltage: settings.site.voltage,
                                            capW: fuse, objective: state.command.objective)
            let plan = ChargePlanner.plan(request, prices: prices, now: wall)
            if plan.reachable != (state.plan?.reachable ?? true) || state.plan == nil && !plan.reachable {
                logs.append(CoreLog(plan.reachable ? .notice : .warning, plan.reachable ? "plan: the goal is reachable again"
                                    : "plan: the goal cannot be reached by the departure; charging at the most in every slot", charger: charger.id))
            }
            state.plan = plan
            state.replanAt = plan.slots.first?.end ?? state.command.departure
        }
        plans[index] = state
        if state.plan != before { refreshView(index) }   // the faces rebuild their images only on a change
        return forced ? nil : state.plan?.current(at: wall)
    }
}
