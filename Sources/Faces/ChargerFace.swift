import ControlCore
import EnergyControl
import FaceLayouts
import LinkValues
import Modbus
import RegisterMaps
import ServiceSupport
import SiteRuntime
import Synchronization

extension ChargerPoint {
    /// The Modbus slave handler of face `index` (of `layouts`).
    package func face(_ index: Int) -> ChargerFace { ChargerFace(point: self, index: index) }
}

/// One face of a charger as the Modbus server sees it: a table, and the charger's one master slot.
package final class ChargerFace: ModbusSlaveHandler {
    let point: ChargerPoint
    let index: Int

    init(point: ChargerPoint, index: Int) {
        self.point = point
        self.index = index
    }

    var channel: String { point.layouts[index].name }
    package var masterGroup: ObjectIdentifier { ObjectIdentifier(point) }

    package func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException> {
        point.read(face: index, function, address: address, count: count)
    }

    package func write(address: Int, values: [UInt16], peer: String) -> ModbusException? {
        point.write(face: index, address: address, values: values, peer: peer)
    }

    package func masterConnected(peer: String, replaced: Bool) {
        point.lastDropWasTakeover.store(false, ordering: .releasing)
        point.masterConnected(peer: peer, replaced: replaced, channel: channel)
    }

    package func masterDisconnected(peer: String, reason: String) { point.masterDisconnected(peer: peer, reason: reason) }
    package func writeRefused(peer: String, reason: String) { point.writeRefused(peer: peer, reason: reason) }
    package var masterDrops: Int { point.drops }

    /// A read of the master counts as alive on tables whose watchdog counts any request; at most
    /// four times a second, so a polling master costs the control little.
    package func masterRead() {
        guard point.layouts[index].spec.alive == .anyRequest else { return }
        let now = point.clock.now
        let last = point.lastReadAlive.withLock { last -> Seconds in
            defer { if now - last >= 0.25 { last = now } }
            return last
        }
        guard now - last >= 0.25 else { return }
        _ = point.request([.alive])
    }
    package var dropReason: String { point.dropReason }
}
