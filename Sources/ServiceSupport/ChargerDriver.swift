import EnergyControl

/// The southbound side of one charger: reports status, takes setpoints.
public protocol ChargerDriver: AnyObject, Sendable {
    /// Brings the driver's view up to `now` and returns the charger's status.
    func poll(now: Seconds) -> ChargerStatus
    /// Sends the effective setpoint (0 = pause) and, where the charger can switch, the phase count.
    func apply(setpoint: Int, phases: Int?)
    /// The charger's own fallback if the bridge goes silent (the degraded setpoint of load
    /// management); nil when the charger keeps no failsafe current of its own.
    var failsafeTimeout: Seconds? { get }
    func setFailsafe(current: Int, timeout: Seconds)
    /// Starts talking to the charger (a driver with I/O runs it on a thread of its own).
    func start()
    /// Asks it to send what was last applied (the safe setpoint at shutdown) and stop, without waiting.
    func requestStop()
    /// Like `requestStop`, then waits until it has stopped (bounded).
    func stop()
    /// The operator's switches after every step (MQTT `enable`, `force`): a charger with its own
    /// notion of them (OCPP availability, remote start/stop) acts on a change; others ignore it.
    func operatorState(enabled: Bool, forced: Bool)
    /// An operator's command (reset, stop): sent to the charger, or refused with the reason.
    func perform(_ command: ChargerCommand) throws(ChargerCommandRefusal)
}

extension ChargerDriver {
    public func start() {}
    public func requestStop() {}
    public func stop() {}
    public func operatorState(enabled _: Bool, forced _: Bool) {}
    public func perform(_ command: ChargerCommand) throws(ChargerCommandRefusal) {
        throw ChargerCommandRefusal("this charger's driver cannot \(command.name) it (only OCPP charge points take reset and stop)")
    }
}


