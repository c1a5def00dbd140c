@testable import ChargerDrivers
import DataFiles
import ControlCore
import EnergyControl
import Foundation
import LinkValues
import Logging
import Modbus
import RegisterMaps
import Testing

/// The driver itself against the pymodbus EVC04 emulator: the alive register is fed only while
/// control hands over setpoints, so a control loop that hangs (not only a dead process) lets the
/// charger fall back to its failsafe current by itself.
@Suite("Modbus charger driver", .serialized)
struct ModbusChargerDriverTests {
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func current(port: Int) -> UInt16? {
        guard let client = try? ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: port), unit: 255) else { return nil }
        defer { client.close() }
        return (try? client.read(.input, address: 1008, count: 1))?.first
    }

    func waitForCurrent(port: Int, _ milliamperes: UInt16, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if current(port: port) == milliamperes { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    @Test func aStuckControlLoopStopsFeedingTheWatchdog() throws {
        let port = Self.freePort()
        let emulator = Process()
        emulator.executableURL = TestPaths.root.appendingPathComponent(".build-venv/bin/python")
        emulator.arguments = [TestPaths.root.appendingPathComponent("Tests/Peers/evc04_emulator.py").path, "--ports", "\(port)", "--lifetime", "60"]
        let output = Pipe()
        emulator.standardOutput = output
        try emulator.run()
        defer {
            emulator.terminate()
            emulator.waitUntilExit()
        }
        _ = output.fileHandleForReading.availableData   // "ready"

        let map = try MapLoader.load(file: TestPaths.root.appendingPathComponent("Registers/chargers/vestel-evc04.yaml").path)
        var settings = ModbusChargerDriver.Settings(id: "cp", endpoint: .tcp(host: "127.0.0.1", port: port), unit: 255, map: map,
                                                    limits: ChargerLimits(minCurrent: 6, maxCurrent: 16))
        settings.period = 0.2
        settings.failsafeTimeout = 2
        let driver = ModbusChargerDriver(settings: settings, logger: Logger(label: "test"))
        driver.setFailsafe(current: 8, timeout: 2)
        driver.apply(setpoint: 12, phases: nil)
        driver.start()
        defer { driver.stop() }
        // control runs (a setpoint every 100 ms): 12 A, and the watchdog stays fed past its timeout
        let running = Date().addingTimeInterval(4)
        while Date() < running {
            driver.apply(setpoint: 12, phases: nil)
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(current(port: port) == 12_000)
        #expect(driver.poll(now: 0).online)
        // control hangs: no more setpoints; the driver thread lives on but lets the watchdog expire
        #expect(waitForCurrent(port: port, 8_000, within: 4), "the charger kept \(current(port: port).map(String.init) ?? "?") mA")
        // control is back: fed again, out of failsafe (the emulator closed the socket; the driver reconnects)
        var back = false
        let deadline = Date().addingTimeInterval(6)
        while Date() < deadline, !back {
            driver.apply(setpoint: 12, phases: nil)
            Thread.sleep(forTimeInterval: 0.1)
            back = current(port: port) == 12_000
        }
        #expect(back)
    }
}
