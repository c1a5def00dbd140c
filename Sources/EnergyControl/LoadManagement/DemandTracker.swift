/// How much of what it is offered a vehicle will take, judged from what it draws [SPEC §6.3,
/// Circontrol §7.4.4]. Pure; one per charger.
/// - State B: a vehicle offered at least its minimum that draws nothing for `waitingTime` is
///   queued for `retryPeriod`, then offered again, up to `retries` times; a queued vehicle only
///   gets current nobody else can use. Drawing again makes it a normal participant.
/// - Low consumption: a vehicle drawing clearly less than its setpoint (tapering, nearly full) for
///   `lowConsumptionDelay` is held at its draw + margin, and released as soon as it draws close to that.
public struct DemandTracker: Sendable, Equatable {
    public enum Demand: Sendable, Equatable {
        /// A normal participant, up to `maximum` amperes (nil = its own limits).
        case active(maximum: Double?)
        /// Served last, with leftovers only.
        case queued
    }

    private var idleSince: Seconds?
    private var queuedUntil: Seconds?
    private var retriesUsed = 0
    private var lowSince: Seconds?
    private var heldAt: Double?
    /// Low consumption queued (Circontrol): until when, and how often it was offered current again.
    private var lowQueuedUntil: Seconds?
    private var lowRetries = 0

    public init() {}

    /// - Parameters:
    ///   - draw: the vehicle's largest phase current now, amperes.
    ///   - offered: the setpoint it was given at the previous step.
    public mutating func update(plugged: Bool, draw: Double, offered: Double, minimum: Double, now: Seconds,
                                settings: DemandSettings) -> Demand {
        guard plugged else { self = DemandTracker(); return .active(maximum: nil) }
        let drawing = draw >= 1
        if drawing {
            idleSince = nil
            queuedUntil = nil
            retriesUsed = 0
        }
        if settings.stateBDetection, !drawing {
            if let until = queuedUntil {
                if now < until || retriesUsed >= settings.retries { return .queued }
                queuedUntil = nil           // retry: offer current again
                retriesUsed += 1
                idleSince = nil
            }
            if offered >= minimum {
                let since = idleSince ?? now
                idleSince = since
                if now - since >= settings.waitingTime {
                    queuedUntil = now + settings.retryPeriod
                    idleSince = nil
                    return .queued
                }
            } else {
                idleSince = nil           // not offered enough: not drawing says nothing
            }
        }
        if settings.lowConsumption, settings.lowConsumptionQueues {
            return lowConsumptionQueue(drawing: drawing, draw: draw, offered: offered, minimum: minimum, now: now, settings: settings)
        }
        return .active(maximum: lowConsumptionCap(drawing: drawing, draw: draw, offered: offered, minimum: minimum,
                                                  now: now, settings: settings))
    }

    /// Circontrol DLM §7.4.4: below the threshold for the delay, the session joins the state-B
    /// queue (leftovers only); offered its share again after each retry period, `retries` times;
    /// back at once when it draws the threshold or more.
    private mutating func lowConsumptionQueue(drawing: Bool, draw: Double, offered: Double, minimum: Double, now: Seconds,
                                              settings: DemandSettings) -> Demand {
        let low = drawing && draw < settings.lowConsumptionThreshold
        guard low || lowQueuedUntil != nil, !(draw >= settings.lowConsumptionThreshold) else {
            lowSince = nil
            lowQueuedUntil = nil
            lowRetries = 0
            return .active(maximum: nil)
        }
        if let until = lowQueuedUntil {
            if now < until || lowRetries >= settings.retries { return .queued }
            lowQueuedUntil = nil            // retry: its share again, judged anew
            lowRetries += 1
            lowSince = nil
        }
        // judged only while it was given at least what it could take
        guard low, offered >= max(minimum, settings.lowConsumptionThreshold) else { lowSince = nil; return .active(maximum: nil) }
        let since = lowSince ?? now
        lowSince = since
        guard now - since >= settings.lowConsumptionDelay else { return .active(maximum: nil) }
        lowQueuedUntil = now + settings.retryPeriod
        lowSince = nil
        return .queued
    }

    private mutating func lowConsumptionCap(drawing: Bool, draw: Double, offered: Double, minimum: Double, now: Seconds,
                                            settings: DemandSettings) -> Double? {
        guard settings.lowConsumption, drawing else {
            lowSince = nil
            heldAt = nil
            return nil
        }
        if let held = heldAt {
            // taking what it is given: it wants more, release it
            if draw >= held - settings.margin / 2 {
                heldAt = nil
                lowSince = nil
                return nil
            }
            heldAt = max(minimum, (draw + settings.margin).rounded(.up))
            return heldAt
        }
        guard offered - draw > settings.margin else { lowSince = nil; return nil }
        let since = lowSince ?? now
        lowSince = since
        guard now - since >= settings.lowConsumptionDelay else { return nil }
        heldAt = max(minimum, (draw + settings.margin).rounded(.up))
        return heldAt
    }
}
