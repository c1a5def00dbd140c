import ControlCore
import EnergyControl

extension Configuration {
    /// What the control core needs of this configuration.
    /// - Parameter ownFailsafeTimeouts: per charger, its driver's own watchdog (nil: it keeps no failsafe current).
    public func coreSettings(ownFailsafeTimeouts: [Seconds?], recordSessions: Bool, checkpointSeconds: Double) -> CoreSettings {
        let chargers = zip(chargers, ownFailsafeTimeouts).map { charger, timeout in
            var settings = CoreSettings.Charger(id: charger.id, limits: charger.limits, mode: charger.mode, placement: charger.placement,
                                                failsafeCurrent: charger.failsafeCurrent, failsafeTimeout: charger.failsafeTimeout, ownFailsafeTimeout: timeout)
            settings.serial = charger.identity.serial
            settings.name = charger.name
            return settings
        }
        let inputs = inputs.map { input in
            CoreSettings.Input(id: input.id, role: input.role, invert: input.invert, debounce: input.debounce, period: input.period,
                               remote: input.source.kind == "mqtt", source: input.source.kind)
        }
        var settings = CoreSettings(site: site, load: load, chargers: chargers, inputs: inputs, gridMeter: gridMeter,
                                    recordSessions: recordSessions, checkpointSeconds: checkpointSeconds)
        settings.pvMeter = pvMeter
        settings.batteryMeter = batteryMeter
        settings.utilityGateway = utilityGateway?.settings
        return settings
    }
}
