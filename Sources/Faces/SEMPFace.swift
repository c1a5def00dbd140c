import Foundation
import ControlCore
import EnergyControl
import LinkValues
import Logging
import SEMP
import SEMPServer
import ServiceConfiguration
import ServiceSupport
import SiteRuntime

/// The SEMP face: every shown charger as a device of an SMA Sunny Home Manager, whose controls
/// become the same master requests as a Modbus face's (see docs/SEMP.md).
///
/// A control is `enable` (On), a power (W → A at the charger's phases in use; below the charger's
/// least power it pauses, above its most it is capped), the failsafe timeout (`semp.timeout_s`,
/// as the Home Manager sends about once a minute and has no heartbeat of its own) and `alive`. The
/// Home Manager becomes the charger's master: a Modbus master of the charger is dropped, and a
/// Modbus writer later takes over from it (the newest wins). `allow_write` and `read_only` apply.
package final class SEMPFace: SEMPBackend {
    let points: [ChargerPoint]
    let ids: [String]
    let settings: SEMPSettings
    let allowWrite: [AddressRange]?
    let logger: Logger
    private let refusals = Coalescer(interval: 10)

    package init(configuration: Configuration, settings: SEMPSettings, points: [ChargerPoint], logger: Logger) {
        let shown = settings.chargers.map(Set.init)
        self.points = points.filter { shown?.contains($0.config.id) ?? true }
        ids = self.points.map { SEMPDevice.deviceID(for: $0.config.id, seed: configuration.sempUUID) }
        self.settings = settings
        allowWrite = settings.allowWrite ?? configuration.northbound.allowWrite
        self.logger = logger
    }

    /// Power at a current on the phases in use, W.
    static func watts(_ amperes: Int, phases: Int) -> Int { Int(Double(amperes) * MasterCommand.nominalVoltage * Double(phases)) }

    package func devices() -> [SEMPDevice] {
        zip(points, ids).map { point, id in
            let view = point.view, status = view.status, limits = point.config.limits
            let phases = status.activePhases == 1 ? 1 : 3
            return SEMPDevice(id: id, name: point.config.name, vendor: point.config.identity.brand, serial: point.config.identity.serial,
                              minPowerW: Self.watts(limits.minimum(phases: phases), phases: phases), maxPowerW: Self.watts(limits.ceiling, phases: phases),
                              on: view.decision.amperes > 0, powerW: max(0, Int(status.totalPower.rounded())), connected: status.plugged,
                              emSignalsAccepted: !point.config.readOnly)
        }
    }

    package func control(_ control: SEMPControl, peerAddress: [UInt8], peer: String) -> SEMPRefusal? {
        guard let index = ids.firstIndex(of: control.deviceID) else {
            return refuse(SEMPRefusal(forbidden: false, message: "no device \(control.deviceID)"), peer: peer)
        }
        let point = points[index]
        if point.config.readOnly {
            return refuse(SEMPRefusal(forbidden: true, message: "charger \(point.config.id) is read-only"), peer: peer)
        }
        if let allowWrite, !allowWrite.contains(where: { $0.contains(peerAddress) }) {
            return refuse(SEMPRefusal(forbidden: true, message: "\(peer) is not in allow_write"), peer: peer)
        }
        let master = "SEMP \(peer.split(separator: ":").dropLast().joined(separator: ":"))"
        var commands: [MasterCommand] = [.failsafeTimeout(Double(settings.timeoutSeconds))]
        if control.on, let watts = control.recommendedPowerW {
            let phases = point.view.status.activePhases == 1 ? 1 : 3
            let least = Self.watts(point.config.limits.minimum(phases: phases), phases: phases), most = Self.watts(point.config.limits.ceiling, phases: phases)
            if watts < least {
                commands.append(.enable(false))           // below what the charger can draw: a pause
            } else {
                commands += [.power(Double(min(watts, most))), .enable(true)]
            }
        } else {
            commands.append(.enable(control.on))          // On without a power keeps the last power
        }
        commands.append(.alive)
        if let problem = point.request(commands, master: master) {
            return refuse(SEMPRefusal(forbidden: false, message: "charger \(point.config.id): \(problem)"), peer: peer)
        }
        point.takeOver(peer: master, channel: "SEMP")   // only an accepted control displaces a master
        return nil
    }

    /// Refusals held back in an interval that is over: logged now, not only with the next one.
    package func flushLogs(now: Date) {
        for (message, held) in refusals.flush(now: now) {
            logger.warning("SEMP: \(held) more controls refused in the last 10 s: \(message)")
        }
    }

    private func refuse(_ refusal: SEMPRefusal, peer: String) -> SEMPRefusal {
        if let held = refusals.admit(refusal.message) {
            logger.warning("SEMP control from \(peer) refused: \(refusal.message)\(held > 0 ? " (and \(held) more in the last 10 s)" : "")")
        }
        return refusal
    }
}
