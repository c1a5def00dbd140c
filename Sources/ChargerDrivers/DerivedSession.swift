import EnergyControl

/// Session energy and duration for a charger whose map has no session registers: counted from its
/// energy meter since the vehicle was connected. Like a charger's own session registers, the values
/// stay after the vehicle leaves, until the next one arrives. Pure; time is a parameter.
struct DerivedSession {
    let energy: Bool
    let duration: Bool
    private var startEnergy: Double?
    private var startTime: Double?
    private var lastEnergy = 0.0
    private var lastSeconds = 0.0

    /// `energy` / `duration`: derive that value (the map lacks its register).
    init(energy: Bool, duration: Bool) {
        self.energy = energy
        self.duration = duration
    }

    mutating func apply(to status: inout ChargerStatus, now: Double) {
        guard energy || duration else { return }
        let connected = status.cable == .vehicleConnected || status.cable == .vehicleLocked
        if connected {
            if startTime == nil {
                startTime = now
                startEnergy = status.energyWh
            }
            // a meter that went back (replaced, reset) restarts the count rather than going negative
            if let start = startEnergy, status.energyWh < start { startEnergy = status.energyWh }
            lastEnergy = status.energyWh - (startEnergy ?? status.energyWh)
            lastSeconds = now - (startTime ?? now)
        } else {
            startTime = nil
            startEnergy = nil
        }
        if energy { status.sessionEnergyWh = lastEnergy }
        if duration { status.sessionSeconds = lastSeconds }
    }
}
