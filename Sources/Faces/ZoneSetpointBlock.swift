import Foundation
import ControlCore
import EnergyControl
import LinkValues
import Logging
import Modbus
import RegisterMaps
import ServiceSupport
import SiteRuntime
import Synchronization

/// The zone setpoint block an energy manager writes over Modbus (holding registers, one block of
/// ten per zone that takes a setpoint, in configuration order; zone k starts at 10·k):
///
/// | offset | access | meaning |
/// |---|---|---|
/// | 0 | rw | setpoint, A on every phase (reads the limit in force: the setpoint, the failsafe limit, or the zone's own) |
/// | 1 | rw | heartbeat: any value |
/// | 2 | r | state: 0 local (no setpoint yet), 1 remote, 2 failsafe |
/// | 3 | r | minimum period between setpoint changes, s |
/// | 4 | r | heartbeat timeout, s |
/// | 5 | r | failsafe limit, A |
/// | 6 | r | the zone's own limit, A |
///
/// A refused change answers exception 03 (too soon, above the zone's limit) or 01 (another
/// controller steers the zone); the reason is logged. The controller is the writer's address.
package final class ZoneSetpointBlock: ModbusSlaveHandler {
    static let stride = 10
    let zones: [String]
    let control: SiteControl
    let clock: MonotonicSeconds
    let logger: Logger
    private let refusals = Coalescer(interval: 10)

    package init(zones: [String], control: SiteControl, clock: MonotonicSeconds, logger: Logger) {
        self.zones = zones
        self.control = control
        self.clock = clock
        self.logger = logger
    }

    /// The registers of every zone, as the core sees them now.
    func registers() -> [UInt16] {
        let setpoints = control.view().zoneSetpoints
        var words: [UInt16] = []
        for zone in zones {
            var block = [UInt16](repeating: 0, count: Self.stride)
            if let setpoint = setpoints[zone] {
                func amperes(_ limit: [Double]) -> UInt16 { UInt16(clamping: Int((limit.min() ?? 0).rounded(.down))) }
                block[0] = amperes(setpoint.limit ?? setpoint.zoneLimit)
                block[2] = switch setpoint.state {
                case .local: 0
                case .remote: 1
                case .failsafe: 2
                }
                block[3] = UInt16(clamping: Int(setpoint.settings.minPeriod))
                block[4] = UInt16(clamping: Int(setpoint.settings.heartbeat))
                block[5] = amperes(setpoint.settings.failsafeLimit)
                block[6] = amperes(setpoint.zoneLimit)
            }
            words += block
        }
        return words
    }

    package func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException> {
        guard function == .holding else { return .failure(.illegalFunction) }
        let words = registers()
        guard address >= 0, address + count <= words.count, address % Self.stride < 7 else { return .failure(.illegalDataAddress) }
        return .success(Array(words[address..<(address + count)]))
    }

    package func write(address: Int, values: [UInt16], peer: String) -> ModbusException? {
        // one register at a time: the setpoint or the heartbeat of one zone
        let zone = address / Self.stride, offset = address % Self.stride
        guard values.count == 1, zones.indices.contains(zone), offset <= 1 else { return .illegalDataAddress }
        let controller = peer.split(separator: ":").dropLast().joined(separator: ":")
        let command: CommandKind = offset == 0 ? .zoneSetpoint : .zoneHeartbeat
        let value: CommandValue = offset == 0 ? .zoneLimit([Double](repeating: Double(values[0]), count: 3)) : .flag(true)
        do {
            _ = try control.remoteZone(command, id: zones[zone], value, controller: controller.isEmpty ? peer : controller, now: clock.now)
            return nil
        } catch {
            if let held = refusals.admit(zones[zone]) {
                logger.warning("zone \(zones[zone]): \(command.rawValue) from \(peer) refused: \(error)\(held > 0 ? " (and \(held) more in the last 10 s)" : "")")
            }
            return error.description.contains("steered by") ? .illegalFunction : .illegalDataValue
        }
    }

    /// Refusals held back in an interval that is over: logged now, not only with the next one.
    package func flushLogs(now: Date) {
        for (zone, held) in refusals.flush(now: now) {
            logger.warning("zone \(zone): \(held) more refused writes in the last 10 s")
        }
    }

    package func masterConnected(peer _: String, replaced _: Bool) {}
    package func masterDisconnected(peer _: String, reason _: String) {}
    package var masterDrops: Int { 0 }
}
