import Foundation
import Synchronization

/// The systemd notification protocol (sd_notify(3)) without libsystemd: a datagram to the socket
/// in $NOTIFY_SOCKET. READY=1 once everything is bound and serving, WATCHDOG=1 from the control
/// loop at half of $WATCHDOG_USEC, STOPPING=1 at shutdown. Without $NOTIFY_SOCKET it does nothing.
package final class SystemdNotifier: Sendable {
    private let path: String?
    /// Seconds between two WATCHDOG=1 (nil: no watchdog asked for).
    package let watchdogInterval: Double?
    private let lastWatchdog = Mutex<Double>(-.infinity)

    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        watchdogInterval = environment["WATCHDOG_USEC"].flatMap(Double.init).map { $0 / 1_000_000 / 2 }
    }

    package func ready() { send("READY=1\nSTATUS=serving") }

    package func stopping() { send("STOPPING=1") }

    /// Called from the control loop: a loop that hangs stops feeding systemd's watchdog.
    package func watchdog(now: Double) {
        guard let interval = watchdogInterval else { return }
        let due = lastWatchdog.withLock { last in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
        if due { send("WATCHDOG=1") }
    }

    private func send(_ message: String) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }   // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        _ = message.withCString { text in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, text, strlen(text), 0, $0, length) }
            }
        }
    }
}
