import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Storage
import StorageModel
import Testing

/// Who may steer a charger over its EVC08 face: a read never displaces the master, writes from
/// addresses outside `allow_write` are refused and change nothing, gateway masters are per unit,
/// floods of connections cost a bounded number of log lines and events, and running out of file
/// descriptors does not spin a core.
@Suite("Modbus access control", .serialized)
struct ModbusAccessTests {
    static let charger = """
          - { id: cpUNIT, max_current: 16, failsafe_current: 6, failsafe_timeout_s: 20, modbus: { port: PORTEXTRA },
              simulation: { evs: [ { arrive_s: 0, phases: 3, max_current: 16, capacity_kwh: 80, soc: 0.1 } ] } }
        """

    static func start(_ modbus: String, chargers: Int = 1, extra: String = "", storage: URL? = nil, shell: String? = nil) throws -> (ManagedProcess, [Int]) {
        let ports = try (0..<chargers).map { _ in try TestEnvironment.freePort() }
        let lines = ports.enumerated().map { index, port in
            charger.replacingOccurrences(of: "UNIT", with: "\(index + 1)").replacingOccurrences(of: "PORT", with: "\(port)")
                .replacingOccurrences(of: "EXTRA", with: extra.replacingOccurrences(of: "UNIT", with: "\(index + 1)"))
        }
        let storageLine = storage.map { "storage: { data_dir: \($0.path), checkpoint_s: 1 }" } ?? ""
        let yaml = "modbus: { \(modbus) }\n\(storageLine)\nchargers:\n" + lines.joined(separator: "\n")
        let file = try TestEnvironment.temporaryFolder().appendingPathComponent("chargebridge.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let command = "\(shell.map { "\($0); " } ?? "")exec \(try TestEnvironment.chargebridge) run --config \(file.path) --log-level info"
        let bridge = try ManagedProcess("/bin/sh", ["-c", command])
        try bridge.waitFor("serving")
        return (bridge, ports)
    }

    static func probe(_ arguments: [String]) throws -> [String: Any] {
        let result = try runCommand(try TestEnvironment.python, [TestEnvironment.peer("modbus_probe.py")] + arguments, timeout: .seconds(120))
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("modbus_probe.py \(arguments): \(result.stdout) \(result.stderr)")
        }
        return object
    }

    @Test func aReadNeverDisplacesTheMaster() throws {
        let (bridge, ports) = try Self.start("bind: 127.0.0.1")
        defer { bridge.stop() }
        let master = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: ports[0]), unit: 255)
        defer { master.close() }
        try master.write(address: 5004, registers: [10])
        try master.write(address: 6000, registers: [1])
        // a Home Assistant sensor, mbpoll: readers come and go
        for _ in 0..<3 { _ = try readRegisters(port: ports[0], address: 1000, count: 10) }
        let mbpoll = try runCommand(try TestEnvironment.tool("mbpoll"), ["-m", "tcp", "-p", "\(ports[0])", "-a", "255", "-0", "-r", "1000", "-t", "3", "-1", "127.0.0.1"])
        #expect(mbpoll.status == 0)
        try master.write(address: 6000, registers: [1])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(!bridge.text.contains("disconnected"), "\(bridge.text)")
        #expect(bridge.text.components(separatedBy: " connected").count == 2, "one master, connected once")
        // a second writer is the newest master (EVC08 §16.7.1)
        let second = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: ports[0]), unit: 255)
        defer { second.close() }
        try second.write(address: 6000, registers: [1])
        try bridge.waitFor("previous master's socket was closed")
    }

    @Test func writesFromOutsideAllowWriteAreRefusedAndChangeNothing() throws {
        let (bridge, ports) = try Self.start("bind: 127.0.0.1, allow_write: [127.0.0.2/32]")
        defer { bridge.stop() }
        let allowed = try Self.probe(["write", "--port", "\(ports[0])", "--source", "127.0.0.2", "5004=10"])
        #expect((allowed["answers"] as? [Any])?.first is NSNull, "\(allowed)")
        for _ in 0..<5 {
            let refused = try Self.probe(["write", "--port", "\(ports[0])", "--source", "127.0.0.3", "5004=16", "2002=3600"])
            #expect(refused["answers"] as? [Int] == [1, 1], "\(refused)")
        }
        #expect(try readRegisters(port: ports[0], .holding, address: 5004).first == 10)
        #expect(try readRegisters(port: ports[0], .holding, address: 2002).first == 20)
        try bridge.waitFor("refused: the address is not in allow_write")
        #expect(bridge.text.components(separatedBy: "refused: the address").count == 2, "logged once per interval")
        // read_only listener
        let (readOnly, roPorts) = try Self.start("bind: 127.0.0.1", extra: ", read_only: true")
        defer { readOnly.stop() }
        #expect(try Self.probe(["write", "--port", "\(roPorts[0])", "5004=10"])["answers"] as? [Int] == [1])
    }

    @Test func aRefusedWriteDisplacesNobody() throws {
        let (bridge, ports) = try Self.start("bind: 127.0.0.1, allow_write: [127.0.0.1/32, 127.0.0.2/32]")
        defer { bridge.stop() }
        let master = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: ports[0]), unit: 255)
        defer { master.close() }
        try master.write(address: 5004, registers: [10])
        try bridge.waitFor(" connected")
        // an allowed address, but values the charger refuses: 3 A (03), a register that is not there (02)
        let refused = try Self.probe(["write", "--port", "\(ports[0])", "--source", "127.0.0.2", "5004=3", "7=1"])
        #expect(refused["answers"] as? [Int] == [3, 2], "\(refused)")
        try master.write(address: 5004, registers: [11])
        #expect(!bridge.text.contains("replaced by a newer master"), "\(bridge.text)")
        #expect(try readRegisters(port: ports[0], .holding, address: 5004).first == 11)
    }

    @Test func aConnectFloodFromOutsideAllowWriteLocksNobodyOut() throws {
        let (bridge, ports) = try Self.start("bind: 127.0.0.1, allow_write: [127.0.0.2/32], max_readers: 2")
        defer { bridge.stop() }
        let result = try Self.probe(["reconnect", "--port", "\(ports[0])", "--source", "127.0.0.2", "--tries", "40",
                                     "--flood-source", "127.0.0.3", "--flood-workers", "3"])
        print("reconnect under a connect flood: \(result)")
        #expect(result["mastered"] as? Int == 40, "\(result)")
        #expect((result["flood_cycles"] as? Int ?? 0) > 40, "the flood ran beside the energy manager: \(result)")
        // max_readers: 0 serves no reader at all; an address that may write still gets in
        let (closed, closedPorts) = try Self.start("bind: 127.0.0.1, allow_write: [127.0.0.2/32], max_readers: 0")
        defer { closed.stop() }
        #expect(throws: (any Error).self) { _ = try readRegisters(port: closedPorts[0], address: 1000, count: 1) }
        let allowed = try Self.probe(["write", "--port", "\(closedPorts[0])", "--source", "127.0.0.2", "5004=10"])
        #expect((allowed["answers"] as? [Any])?.first is NSNull, "\(allowed)")
    }

    @Test func gatewayMastersArePerUnit() throws {
        let port = try TestEnvironment.freePort()
        let (bridge, _) = try Self.start("mode: gateway, bind: 127.0.0.1, port: \(port)", chargers: 2, extra: ", unit: UNIT")
        defer { bridge.stop() }
        let one = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: port), unit: 1)
        defer { one.close() }
        let two = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: port), unit: 2)
        defer { two.close() }
        try one.write(address: 6000, registers: [1])
        try two.write(address: 6000, registers: [1])
        try one.write(address: 5004, registers: [12])
        try two.write(address: 5004, registers: [8])
        Thread.sleep(forTimeInterval: 0.3)
        #expect(!bridge.text.contains("replaced") && !bridge.text.contains("disconnected"), "\(bridge.text)")
    }

    @Test func floodsOfConnectionsCostBoundedLogsAndEvents() throws {
        let data = try TestEnvironment.temporaryFolder()
        let (bridge, ports) = try Self.start("bind: 127.0.0.1", storage: data)
        let readers = try Self.probe(["flood", "--port", "\(ports[0])", "--cycles", "10000"])
        let writers = try Self.probe(["flood", "--port", "\(ports[0])", "--cycles", "2000", "--write"])
        // the counts held back are logged once their 10 s are over, without waiting for another master
        try bridge.waitFor("master disconnected: ", timeout: .seconds(60))
        bridge.stop()
        let flushed = bridge.text.split(separator: "\n").filter { $0.contains("master disconnected: ") }
        #expect(flushed.contains { $0.contains(" more in the last 10 s") }, "\(flushed)")
        #expect(readers["cycles"] as? Int == 10_000 && writers["cycles"] as? Int == 2_000)
        let lines = bridge.text.split(separator: "\n").filter { $0.contains("master") }
        #expect(lines.count <= 50, "\(lines.count) log lines")
        let database = try ChargeDatabase(path: data.appendingPathComponent("chargebridge.sqlite").path, readOnly: true)
        let events = try database.events().filter { $0.kind.hasPrefix("master") }
        #expect(events.count <= 10, "\(events.count) event rows")
        #expect(lines.contains { $0.contains("more master changes") } || events.count > 0)
    }

    @Test func runningOutOfFileDescriptorsDoesNotSpinACore() throws {
        let (bridge, ports) = try Self.start("bind: 127.0.0.1, max_readers: 64", shell: "ulimit -n 48")
        defer { bridge.stop() }
        let master = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: ports[0]), unit: 255)
        defer { master.close() }
        try master.write(address: 6000, registers: [1])
        let hold = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("modbus_probe.py"), "hold", "--port", "\(ports[0])",
                                                                   "--count", "100", "--seconds", "6"])
        defer { hold.stop() }
        try hold.waitFor("opened")
        try bridge.waitFor("cannot accept connections", timeout: .seconds(10))
        let before = try Self.cpuSeconds(bridge.pid)
        Thread.sleep(forTimeInterval: 3)
        let busy = (try Self.cpuSeconds(bridge.pid) - before) / 3
        #expect(busy < 0.3, "the bridge used \(Int(busy * 100)) % of a core")
        // the energy manager is still served
        try master.write(address: 5004, registers: [9])
        try master.write(address: 6000, registers: [1])
        #expect(bridge.text.components(separatedBy: "cannot accept connections").count == 2, "logged once")
    }

    static func cpuSeconds(_ pid: pid_t) throws -> Double {
        let fields = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).split(separator: ")").last!.split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
