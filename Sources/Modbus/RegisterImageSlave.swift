import LinkValues
import RegisterMaps
import Synchronization

/// A device that is just its registers (a simulated meter): reads answer from the image,
/// addresses outside it get exception 02, writes to existing holding registers and coils stick.
public final class RegisterImageSlave: ModbusSlaveHandler {
    private let image: Mutex<RegisterImage>

    public init(_ image: RegisterImage) {
        self.image = Mutex(image)
    }

    public var snapshot: RegisterImage { image.withLock { $0 } }

    /// Changes values while serving (a simulated device changing its readings).
    public func update(_ body: (inout RegisterImage) -> Void) {
        image.withLock { body(&$0) }
    }

    public func read(_ function: RegisterFunction, address: Int, count: Int) -> Result<[UInt16], ModbusException> {
        image.withLock { image in
            guard image.tables[function] != nil else { return .failure(.illegalFunction) }   // no such table on this device
            return image.get(function, address: address, count: count).map { .success($0) } ?? .failure(.illegalDataAddress)
        }
    }

    public func write(address: Int, values: [UInt16], peer _: String) -> ModbusException? {
        image.withLock { image in
            guard image.get(.holding, address: address, count: values.count) != nil else { return .illegalDataAddress }
            image.set(.holding, address: address, values: values)
            return nil
        }
    }

    public func masterConnected(peer: String, replaced: Bool) {}
    public func masterDisconnected(peer: String, reason: String) {}
    public var masterDrops: Int { 0 }
}
