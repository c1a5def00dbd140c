import CSerialPort

/// A serial port found by libserialport.
public struct SerialPortInfo: Sendable, Equatable {
    public let name: String
    public let description: String
}

public enum SerialPorts {
    /// The serial ports of this machine (USB adapters, on-board UARTs).
    public static func list() -> [SerialPortInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        guard sp_list_ports(&list) == SP_OK, let list else { return [] }
        defer { sp_free_port_list(list) }
        var ports: [SerialPortInfo] = []
        var index = 0
        while let port = list[index] {
            let name = sp_get_port_name(port).map { String(cString: $0) } ?? "?"
            let description = sp_get_port_description(port).map { String(cString: $0) } ?? ""
            ports.append(SerialPortInfo(name: name, description: description))
            index += 1
        }
        return ports
    }
}
